import type { whatif } from '@sscard/registry-protocol';
import { nextMonth } from '../pension/months.js';

/**
 * A fund's balance forecast, in integer fen (docs/what-if.md, "Forecasts"). Spending comes from
 * a history of consecutive months: `linear` carries on the least-squares line through the history
 * up to its last month with any spending; `seasonal` takes the latest spending of the same
 * calendar month in the history, scaled by the operator's growth.
 * Each month's projected spending is rounded half-up to the fen once, never below zero; income is
 * the operator's monthly figure; the balance is the running sum.
 */
export interface ForecastInput {
  /** Spending of consecutive months, oldest first, in fen. */
  history: readonly { month: string; spending: number }[];
  settings: Pick<whatif.ForecastSettings, 'firstMonth' | 'months' | 'method' | 'growthBp' | 'warningMonths'>;
  fund: whatif.FundInput;
}

/** Half-up division of integers (the numerator may be negative; the denominator is positive). */
function divHalfUp(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const m = neg ? -n : n;
  const q = (2n * m + d) / (2n * d);
  return neg ? -q : q;
}

/** The line through the points (x, y) for x = 0…n−1, as an exact rational function of x. */
function leastSquares(ys: readonly number[]): (x: number) => bigint {
  const n = BigInt(ys.length);
  if (ys.length === 0) return () => 0n;
  if (ys.length === 1) return () => BigInt(ys[0]!);
  let sx = 0n;
  let sy = 0n;
  let sxx = 0n;
  let sxy = 0n;
  ys.forEach((y, i) => {
    const x = BigInt(i);
    sx += x;
    sy += BigInt(y);
    sxx += x * x;
    sxy += x * BigInt(y);
  });
  const det = n * sxx - sx * sx;
  const slope = n * sxy - sx * sy; // ÷ det
  // y(x) = (sy·det − sx·slope + x·n·slope) / (n·det)
  return (x) => divHalfUp(sy * det - sx * slope + BigInt(x) * n * slope, n * det);
}

/** Months since year 0. */
const monthIndex = (month: string): number => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;

export function projectSpending(input: Omit<ForecastInput, 'fund'>): { month: string; spending: number }[] {
  const { history, settings } = input;
  let lastWithData = -1;
  for (const [i, h] of history.entries()) if (h.spending !== 0) lastWithData = i;
  const line = leastSquares(history.slice(0, lastWithData + 1).map((h) => h.spending));
  const start = history.length > 0 ? monthIndex(history[0]!.month) : 0;
  const sameMonth = new Map(history.map((h) => [h.month.slice(5, 7), h.spending]));
  const out: { month: string; spending: number }[] = [];
  let month = settings.firstMonth;
  for (let i = 0; i < settings.months; i++, month = nextMonth(month)) {
    const projected =
      settings.method === 'linear'
        ? line(monthIndex(month) - start)
        : divHalfUp(
            BigInt(sameMonth.get(month.slice(5, 7)) ?? 0) * BigInt(10_000 + settings.growthBp),
            10_000n,
          );
    out.push({ month, spending: Number(projected < 0n ? 0n : projected) });
  }
  return out;
}

export function forecastFund(input: ForecastInput): whatif.FundForecast {
  let balance = input.fund.openingBalance;
  const months = projectSpending(input).map(({ month, spending }) => {
    balance += input.fund.monthlyIncome - spending;
    return { month, income: input.fund.monthlyIncome, spending, balance };
  });
  return {
    method: input.settings.method,
    months,
    warning: firstWarning(months, input.settings.warningMonths),
  };
}

/** The first month whose balance is below `warningMonths` of that month's spending (or below zero). */
export function firstWarning(
  months: readonly { month: string; spending: number; balance: number }[],
  warningMonths: number,
): whatif.BalanceWarning | null {
  for (const m of months) {
    const threshold = warningMonths * m.spending;
    if (m.balance < threshold || m.balance < 0) {
      return { month: m.month, balance: m.balance, threshold, spending: m.spending, warningMonths };
    }
  }
  return null;
}
