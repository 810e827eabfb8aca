import { z } from 'zod';
import { PERSON_GROUPS, SCHEME_CODES, policyParametersSchema, regionCode } from '../settlement/policy.js';
import { forecastSettingsSchema, fundForecastSchema, fundInputSchema, month } from './forecast.js';

/**
 * A policy what-if: every settlement of a region, scheme and year replayed in order, with fresh
 * accumulators, under the published versions with the operator's changes, through the same
 * calculation the engine uses. An empty change replays every recorded settlement as it was.
 */

/** Each parameter given replaces that parameter of every version of the year. */
export const policyChangesSchema = policyParametersSchema.partial();
export type PolicyChanges = z.output<typeof policyChangesSchema>;

export const policyWhatIfBody = z.strictObject({
  region: regionCode,
  scheme: z.enum(SCHEME_CODES),
  year: z.number().int().min(2000).max(2199),
  changes: policyChangesSchema,
  forecast: forecastSettingsSchema.extend({
    pooled: fundInputSchema,
    largeExpense: fundInputSchema,
  }),
});
export type PolicyWhatIfRequest = z.output<typeof policyWhatIfBody>;

const fundPair = z.strictObject({ pooled: z.number().int(), largeExpense: z.number().int() });
const beforeAfter = z.strictObject({ before: fundPair, after: fundPair });

export const personalChangeSchema = z.strictObject({
  personGroup: z.enum(PERSON_GROUPS),
  hospitalLevel: z.number().int(),
  settlements: z.number().int(),
  /** The personal part (`psn_part_amt`) summed, recorded and replayed, in fen. */
  before: z.number().int(),
  after: z.number().int(),
});

/** Patients by how much more (positive) or less their personal part came to over the year. */
export const changeBucketSchema = z.strictObject({
  /** Lower bound in fen, included; null: no bound. */
  from: z.number().int().nullable(),
  /** Upper bound in fen, excluded; null: no bound. */
  to: z.number().int().nullable(),
  patients: z.number().int(),
});

export const policyWhatIfResultSchema = z.strictObject({
  /** Settlements standing (not cancelled or reversed) that were replayed. */
  settlements: z.number().int(),
  /** Settlements cancelled or reversed: replayed for their effect on the accumulators only. */
  ended: z.number().int(),
  /** Standing settlements whose replayed amounts differ from the recorded ones. */
  changedSettlements: z.number().int(),
  funds: beforeAfter,
  personal: z.array(personalChangeSchema),
  patients: z.strictObject({
    total: z.number().int(),
    payMore: z.number().int(),
    payLess: z.number().int(),
    same: z.number().int(),
    distribution: z.array(changeBucketSchema),
  }),
  monthly: z.array(z.strictObject({ month, before: fundPair, after: fundPair })),
  forecast: z.strictObject({
    pooled: z.strictObject({ before: fundForecastSchema, after: fundForecastSchema }),
    largeExpense: z.strictObject({ before: fundForecastSchema, after: fundForecastSchema }),
  }),
});
export type PolicyWhatIfResult = z.output<typeof policyWhatIfResultSchema>;
