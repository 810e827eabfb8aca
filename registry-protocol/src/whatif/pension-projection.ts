import { z } from 'zod';
import { fenAmount, regionCode } from '../settlement/policy.js';
import { fundForecastSchema, fundInputSchema, month } from './forecast.js';

/**
 * A later retirement age and what it does over the coming years: how many holders start a
 * pension each year and what the pensions paid come to each month, with and without the change,
 * from the holders' birth dates; and the pension fund's balance under both.
 *
 * The registry knows a holder's gender, not their cadre or worker status, so the groups are by
 * gender. A group's age is raised for those born in `firstBirthMonth` or later, by one month for
 * each `birthMonthsPerStep` months of birth (the first such cohort already one month), until
 * `targetAgeMonths`; those born before keep `baseAgeMonths`.
 */
export const RETIREMENT_GROUPS = ['male', 'female'] as const;
export type RetirementGroup = (typeof RETIREMENT_GROUPS)[number];

const ageMonths = z
  .number()
  .int()
  .min(40 * 12)
  .max(75 * 12);

export const retirementRuleSchema = z
  .strictObject({
    baseAgeMonths: ageMonths,
    targetAgeMonths: ageMonths,
    firstBirthMonth: month,
    birthMonthsPerStep: z.number().int().min(1).max(24),
  })
  .refine((r) => r.targetAgeMonths >= r.baseAgeMonths, {
    message: 'the target age is not below the base age',
    path: ['targetAgeMonths'],
  });
export type RetirementRule = z.output<typeof retirementRuleSchema>;

export const pensionProjectionBody = z.strictObject({
  /** The holders' region (the region the registry records for them). */
  region: regionCode,
  /** The first month projected. */
  firstMonth: month,
  years: z.number().int().min(1).max(20).default(10),
  rules: z.strictObject({ male: retirementRuleSchema, female: retirementRuleSchema }),
  /** A new pensioner's monthly pension in fen; null: the average of the region's active pensions. */
  monthlyAmount: fenAmount.nullable().default(null),
  fund: fundInputSchema,
  warningMonths: z.number().int().min(0).max(60).default(3),
});
export type PensionProjectionRequest = z.output<typeof pensionProjectionBody>;

const beforeAfter = { before: z.number().int(), after: z.number().int() };

export const pensionProjectionResultSchema = z.strictObject({
  /** Holders of the region without a pension who reach pension age in the projection or later. */
  holders: z.number().int(),
  existingPensioners: z.number().int(),
  /** What the region's active pensions pay each month now, in fen. */
  existingMonthlyOutflow: z.number().int(),
  /** The monthly pension each new pensioner is given, in fen. */
  monthlyAmount: z.number().int(),
  years: z.array(
    z.strictObject({
      year: z.number().int(),
      newPensioners: z.strictObject(beforeAfter),
      /** Pensions paid over the year, in fen. */
      outflow: z.strictObject(beforeAfter),
    }),
  ),
  /** Holders by birth year and group whose pension age changes, with the ages in months. */
  cohorts: z.array(
    z.strictObject({
      birthYear: z.number().int(),
      group: z.enum(RETIREMENT_GROUPS),
      holders: z.number().int(),
      ageBefore: z.number().int(),
      ageAfterFrom: z.number().int(),
      ageAfterTo: z.number().int(),
    }),
  ),
  fund: z.strictObject({ before: fundForecastSchema, after: fundForecastSchema }),
});
export type PensionProjectionResult = z.output<typeof pensionProjectionResultSchema>;
