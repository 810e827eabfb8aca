import { z } from 'zod';
import { challengeSchema } from '../card-auth.js';
import { breakdownSchema } from './breakdown.js';
import {
  HOSPITAL_LEVELS,
  PERSON_GROUPS,
  SCHEME_CODES,
  VISIT_TYPES,
  catalogueItemSchema,
  fenAmount,
  isoDate,
  policyDraftSchema,
  regionCode,
} from './policy.js';

/**
 * The settlement flow between a hospital or pharmacy terminal and card-service, named after the
 * national interface's transactions. Every POST carries an `Idempotency-Key` header (the terminal's
 * journal sequence); a retry with the same key and body returns the stored answer with
 * `replayed: true`.
 */

const cardNumber = z.string().regex(/^[0-9A-Z]{9}$/, '9 digits or capitals');
const hexCryptogram = z.string().regex(/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/, '16 or 32 hex characters');
const id = z.string().min(1).max(100);

/** Why a settlement request was refused (HTTP 409/403/404/422 with this code). */
export const SETTLEMENT_REFUSALS = [
  'CARD_NOT_ACTIVE',
  'COVERAGE_MISSING',
  'COVERAGE_PAUSED',
  'POLICY_MISSING',
  'ITEM_UNKNOWN',
  'VISIT_SETTLED',
  'BILL_EMPTY',
  'BILL_LINE_CONFLICT',
  'QUOTE_UNKNOWN',
  'QUOTE_EXPIRED',
  'BILL_CHANGED',
  'ACCOUNT_BALANCE_CHANGED',
  'ACCUMULATORS_CHANGED',
  'PIN_NOT_VERIFIED',
  'CARD_PRESENCE_REQUIRED',
  'CARD_PRESENCE_FAILED',
  'ATTEMPT_REVERSED',
  'SETTLEMENT_UNKNOWN',
  'SETTLEMENT_NOT_CANCELLABLE',
  'CANCEL_OTHER_DAY',
  'CANCEL_OTHER_INSTITUTION',
  'INSTITUTION_MISSING',
  'INSTITUTION_EXISTS',
] as const;
export type SettlementRefusal = (typeof SETTLEMENT_REFUSALS)[number];

/** 2201: a visit of the card's holder at the calling terminal's institution. */
export const registerVisitBody = z.strictObject({
  cardNumber,
  scheme: z.enum(SCHEME_CODES),
  visitType: z.enum(VISIT_TYPES),
  /** The HIS's own number for the visit or admission. */
  hisVisitNo: z.string().min(1).max(50),
});

export const visitSchema = z.strictObject({
  visitId: id,
  cardNumber,
  personNo: z.string(),
  scheme: z.enum(SCHEME_CODES),
  visitType: z.enum(VISIT_TYPES),
  hisVisitNo: z.string(),
  institutionId: z.string(),
  hospitalLevel: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  personGroup: z.enum(PERSON_GROUPS),
  /** The region whose policy applies. */
  insuredRegion: regionCode,
  /** The institution's region. */
  treatmentRegion: regionCode,
  crossRegion: z.boolean(),
  registeredAt: z.string(),
});
export type Visit = z.infer<typeof visitSchema>;

/** 2204: bill lines; a line number is sent once (the same line again is accepted, another is a conflict). */
export const billLinesBody = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        lineNo: z.number().int().min(1).max(9999),
        itemCode: z.string().min(1).max(50),
        unitPrice: fenAmount,
        quantity: z.number().int().min(1).max(1_000_000),
      }),
    )
    .min(1)
    .max(500),
});

export const billAnswerSchema = z.strictObject({
  visitId: id,
  lineCount: z.number().int(),
  medfee_sumamt: fenAmount,
});

/**
 * 2206: pre-settlement. Nothing moves but the quote, valid a few minutes, and the challenge its
 * settle's payment proof answers.
 */
export const preSettleBody = z.strictObject({
  /** The patient pays the personal part from the personal medical account first. */
  useAccount: z.boolean(),
});

export const policyRefSchema = z.strictObject({
  region: regionCode,
  scheme: z.enum(SCHEME_CODES),
  year: z.number().int(),
  version: z.number().int(),
});

export const quoteSchema = z.strictObject({
  quoteId: id,
  visitId: id,
  expiresAt: z.string(),
  policy: policyRefSchema,
  breakdown: breakdownSchema,
  /**
   * What the card's payment proof for this quote's settle answers (docs/card-conventions.md): issued
   * with the quote to the terminal that asked for it, for the visit's card; single-use, it lapses
   * with the quote. A retried pre-settle answers the same challenge; a new pre-settle (a changed
   * bill) a new one.
   */
  challenge: challengeSchema,
});
export type Quote = z.infer<typeof quoteSchema>;

/**
 * 2207: settle a quote with the card's payment proof (docs/card-conventions.md) over the quote's
 * challenge (`challengeId` is the quote's `challenge.challengeId`).
 */
export const settleBody = z.strictObject({
  quoteId: id,
  proof: z.strictObject({ challengeId: z.uuid(), cryptogram: hexCryptogram }),
});

export const SETTLEMENT_STATES = ['settled', 'cancelled', 'reversed'] as const;

export const settlementSchema = z.strictObject({
  settlementId: id,
  visitId: id,
  quoteId: id,
  /** The terminal's idempotency key of the settle request. */
  attemptKey: z.string(),
  terminalId: z.string(),
  institutionId: z.string(),
  cardNumber,
  personNo: z.string(),
  scheme: z.enum(SCHEME_CODES),
  insuredRegion: regionCode,
  treatmentRegion: regionCode,
  policy: policyRefSchema,
  settledAt: z.string(),
  /** The institution's business day (China time). */
  businessDate: isoDate,
  status: z.enum(SETTLEMENT_STATES),
  endedAt: z.string().nullable(),
  breakdown: breakdownSchema,
  replayed: z.boolean().optional(),
});
export type Settlement = z.infer<typeof settlementSchema>;

/** 2208: cancel a settlement of this institution on its business day. */
export const cancelBody = z.strictObject({ settlementId: id });

/** 2601: reverse the settle attempt sent with `attemptKey`, whose answer the desk never got. */
export const reversalBody = z.strictObject({ attemptKey: z.string().min(1).max(100) });

export const reversalAnswerSchema = z.strictObject({
  attemptKey: z.string(),
  /** reversed: it had settled and is now undone; voided: it never settled and never will. */
  outcome: z.enum(['reversed', 'voided', 'already_ended']),
  settlement: settlementSchema.nullable(),
  replayed: z.boolean().optional(),
});

/** The outcome of a settle attempt, by its idempotency key. */
export const attemptStatusSchema = z.strictObject({
  attemptKey: z.string(),
  outcome: z.enum(['settled', 'cancelled', 'reversed', 'voided', 'unknown']),
  settlement: settlementSchema.nullable(),
});

export const reconciliationQuery = z.strictObject({ date: isoDate });

const totalsSchema = z.strictObject({
  count: z.number().int(),
  medfee_sumamt: fenAmount,
  hifp_pay: fenAmount,
  hifmi_pay: fenAmount,
  acct_pay: fenAmount,
  psn_cash_pay: fenAmount,
});

/** 3201: an institution's totals for a business day. */
export const reconciliationTotalsSchema = z.strictObject({
  institutionId: z.string(),
  date: isoDate,
  /** Every settlement of the day, whatever happened to it later. */
  settled: totalsSchema,
  /** Those cancelled or reversed since. */
  ended: totalsSchema,
  /** settled − ended: what stands. */
  standing: totalsSchema,
});

/** 3202: the day's settlements one by one. */
export const reconciliationDetailSchema = z.strictObject({
  institutionId: z.string(),
  date: isoDate,
  settlements: z.array(settlementSchema),
});

// ---- operators ----

export const publishPolicyBody = policyDraftSchema;

export const catalogueItemsBody = z.strictObject({
  region: regionCode,
  items: z.array(catalogueItemSchema).min(1).max(5000),
});

export const institutionBody = z.strictObject({
  institutionId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  name: z.string().min(1).max(100),
  region: regionCode,
  level: z.union([
    z.literal(HOSPITAL_LEVELS[0]),
    z.literal(HOSPITAL_LEVELS[1]),
    z.literal(HOSPITAL_LEVELS[2]),
  ]),
});

export const institutionTerminalBody = z.strictObject({ terminalId: z.string().min(1).max(64) });

export const personGroupBody = z.strictObject({ personGroup: z.enum(PERSON_GROUPS) });

export const accountCreditBody = z.strictObject({
  amount: fenAmount.min(1),
  /** The contribution's reference, e.g. the month's payroll batch. */
  reference: z.string().min(1).max(100),
});
