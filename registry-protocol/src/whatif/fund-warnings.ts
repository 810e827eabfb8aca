import { z } from 'zod';
import { SCHEME_CODES, regionCode } from '../settlement/policy.js';
import { FORECAST_METHODS, fundForecastSchema, fundInputSchema, month } from './forecast.js';

/**
 * Fund early warning: each fund of a region (the pooled medical fund and the large-expense fund of
 * a scheme, the pension fund) is forecast from its recorded spending, and warned of when its
 * balance falls below a number of months of spending, or when a month's spending runs above the
 * same month of the year before by more than a set share. A warning is raised once as a risk
 * alert (rule `FUND_BALANCE_LOW` or `FUND_SPENDING_ABOVE_SEASON`) with the figures behind it.
 */
export const FUNDS = ['pooled', 'largeExpense', 'pension'] as const;
export type Fund = (typeof FUNDS)[number];

export const FUND_WARNING_RULES = ['FUND_BALANCE_LOW', 'FUND_SPENDING_ABOVE_SEASON'] as const;
export type FundWarningRule = (typeof FUND_WARNING_RULES)[number];

export const fundCheckBody = z.strictObject({
  region: regionCode,
  /** The medical scheme whose funds are checked. */
  scheme: z.enum(SCHEME_CODES),
  /** The last month with complete figures; the forecast starts the month after. */
  asOf: month,
  method: z.enum(FORECAST_METHODS).default('seasonal'),
  growthBp: z.number().int().min(-10_000).max(100_000).default(0),
  months: z.number().int().min(1).max(120).default(24),
  warningMonths: z.number().int().min(0).max(60).default(3),
  /** A month's spending above the same month last year by more than this share (basis points). */
  seasonalShareBp: z.number().int().min(0).max(1_000_000).default(2000),
  funds: z.strictObject({ pooled: fundInputSchema, largeExpense: fundInputSchema, pension: fundInputSchema }),
});
export type FundCheckRequest = z.output<typeof fundCheckBody>;

/**
 * A standing fund check: the settings the service's daily job checks a region's funds with, once
 * a day, as of the last complete month. One per region and scheme; setting it again replaces it.
 */
export const fundWatchBody = fundCheckBody.omit({ asOf: true });
export type FundWatchRequest = z.output<typeof fundWatchBody>;

export const fundWatchKey = z.strictObject({ region: regionCode, scheme: z.enum(SCHEME_CODES) });

export const fundWatchSchema = fundWatchBody.extend({
  setBy: z.string(),
  setAt: z.string(),
  /** The last China day the daily job checked it, and the month it checked as of. */
  lastCheckedDay: z.string().nullable(),
  lastCheckedAsOf: month.nullable(),
});
export type FundWatch = z.output<typeof fundWatchSchema>;
export const fundWatchesSchema = z.strictObject({ watches: z.array(fundWatchSchema) });

export const fundWarningSchema = z.strictObject({
  fund: z.enum(FUNDS),
  rule: z.enum(FUND_WARNING_RULES),
  region: z.string(),
  month,
  /** The figures behind it, in fen (and the share in basis points). */
  figures: z.record(z.string(), z.number()),
  /** The alert raised for it; null when the same warning was raised before. */
  alertId: z.string().nullable(),
});
export type FundWarning = z.output<typeof fundWarningSchema>;

const fundFigures = z.strictObject({
  history: z.array(z.strictObject({ month, spending: z.number().int() })),
  forecast: fundForecastSchema,
});

export const fundCheckSchema = z.strictObject({
  warnings: z.array(fundWarningSchema),
  /** Each fund's spending by month over the two years to `asOf`, and its forecast. */
  funds: z.strictObject({ pooled: fundFigures, largeExpense: fundFigures, pension: fundFigures }),
});
export type FundCheck = z.output<typeof fundCheckSchema>;
