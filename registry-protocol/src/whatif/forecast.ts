import { z } from 'zod';
import { fenAmount } from '../settlement/policy.js';

/**
 * A fund's balance month by month: an opening balance, the contribution income the operator
 * enters, and spending projected from last year's months. `linear`: the least-squares line
 * through last year's twelve months, carried on; `seasonal`: each calendar month as it was last
 * year, scaled by the growth the operator enters. Amounts are integer fen, rounded half-up once
 * per month.
 */
export const FORECAST_METHODS = ['linear', 'seasonal'] as const;
export type ForecastMethod = (typeof FORECAST_METHODS)[number];

export const month = z.string().regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, 'a month YYYY-MM');

export const fundInputSchema = z.strictObject({
  openingBalance: fenAmount,
  /** Contribution income per month, in fen. */
  monthlyIncome: fenAmount,
});
export type FundInput = z.output<typeof fundInputSchema>;

export const forecastSettingsSchema = z.strictObject({
  /** The first month forecast; the opening balance is the balance before it. */
  firstMonth: month,
  months: z.number().int().min(1).max(120).default(24),
  method: z.enum(FORECAST_METHODS),
  /** Seasonal only: spending growth over last year, in basis points (may be negative). */
  growthBp: z.number().int().min(-10_000).max(100_000).default(0),
  /** A warning when the balance falls below this many months of spending. */
  warningMonths: z.number().int().min(0).max(60).default(3),
});
export type ForecastSettings = z.output<typeof forecastSettingsSchema>;

export const forecastMonthSchema = z.strictObject({
  month,
  income: z.number().int(),
  spending: z.number().int(),
  balance: z.number().int(),
});

/** The first month the balance is below `warningMonths` of that month's spending, with the figures. */
export const balanceWarningSchema = z.strictObject({
  month,
  balance: z.number().int(),
  /** `warningMonths` × that month's spending. */
  threshold: z.number().int(),
  spending: z.number().int(),
  warningMonths: z.number().int(),
});
export type BalanceWarning = z.output<typeof balanceWarningSchema>;

export const fundForecastSchema = z.strictObject({
  /** How spending was projected; `entitlements`: from pensions granted and projected (the pension fund). */
  method: z.enum([...FORECAST_METHODS, 'entitlements']),
  months: z.array(forecastMonthSchema),
  warning: balanceWarningSchema.nullable(),
});
export type FundForecast = z.output<typeof fundForecastSchema>;
