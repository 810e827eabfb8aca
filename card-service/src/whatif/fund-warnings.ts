import type { whatif } from '@sscard/registry-protocol';
import type { Clock } from '../clock.js';
import { monthsBetween, nextMonth } from '../pension/months.js';
import { type RuleIdentity, raiseAlert } from '../risk/alerts.js';
import type { Queryable, Store } from '../store/store.js';
import { forecastFund } from './forecast.js';

/**
 * Fund early warning (docs/what-if.md, "Fund warnings"): each fund's spending by month over the
 * two years to `asOf` from what was recorded (standing settlements by business month, pension
 * payments by the month they pay), its forecast from there, and the two warnings, each raised once
 * as a risk alert with its figures.
 */
const RULES: Record<whatif.FundWarningRule, RuleIdentity> = {
  FUND_BALANCE_LOW: {
    code: 'FUND_BALANCE_LOW',
    severity: 'high',
    action: 'alert',
    words: 'the fund’s forecast balance falls below the months of spending set for it',
  },
  FUND_SPENDING_ABOVE_SEASON: {
    code: 'FUND_SPENDING_ABOVE_SEASON',
    severity: 'medium',
    action: 'alert',
    words: 'a month’s spending of the fund ran above the same month of last year by more than the share set',
  },
};

const FUND_WORDS: Record<whatif.Fund, string> = {
  pooled: 'pooled medical fund',
  largeExpense: 'large-expense fund',
  pension: 'pension fund',
};

async function spendingByMonth(
  q: Queryable,
  request: whatif.FundCheckRequest,
  months: readonly string[],
): Promise<Record<whatif.Fund, { month: string; spending: number }[]>> {
  const first = months[0]!;
  const last = months[months.length - 1]!;
  const medical = await q.all<{ month: string; pooled: number | string; large: number | string }>(
    `SELECT substr(s.business_date, 1, 7) AS month, SUM(s.hifp_pay) AS pooled, SUM(s.hifmi_pay) AS large
     FROM settlements s
     WHERE s.insured_region = ? AND s.scheme = ? AND s.business_date >= ? AND s.business_date <= ?
       AND NOT EXISTS (SELECT 1 FROM settlement_endings e WHERE e.settlement_id = s.settlement_id)
     GROUP BY substr(s.business_date, 1, 7)`,
    [request.region, request.scheme, `${first}-01`, `${last}-31`],
  );
  const pension = await q.all<{ month: string; amount: number | string }>(
    `SELECT month, SUM(amount) AS amount FROM pension_payments
     WHERE paying_region = ? AND month >= ? AND month <= ? GROUP BY month`,
    [request.region, first, last],
  );
  const of = <R extends { month: string }>(rows: R[], pick: (r: R) => number | string) => {
    const by = new Map(rows.map((r) => [r.month, Number(pick(r))]));
    return months.map((month) => ({ month, spending: by.get(month) ?? 0 }));
  };
  return {
    pooled: of(medical, (r) => r.pooled),
    largeExpense: of(medical, (r) => r.large),
    pension: of(pension, (r) => r.amount),
  };
}

/**
 * `claim`, when given, runs first in the transaction that raises the alerts; when it answers false
 * (the daily job's check was made by another process meanwhile) no alert is raised.
 */
export async function checkFunds(
  store: Store,
  clock: Clock,
  request: whatif.FundCheckRequest,
  claim?: (tx: Queryable) => Promise<boolean>,
): Promise<whatif.FundCheck> {
  const asOfYear = Number(request.asOf.slice(0, 4));
  const months = monthsBetween(`${asOfYear - 1}-01`, request.asOf);
  const history = await spendingByMonth(store, request, months);
  const found: Omit<whatif.FundWarning, 'alertId'>[] = [];
  const funds = {} as whatif.FundCheck['funds'];
  for (const fund of ['pooled', 'largeExpense', 'pension'] as const) {
    const forecast = forecastFund({
      history: history[fund],
      settings: { ...request, firstMonth: nextMonth(request.asOf) },
      fund: request.funds[fund],
    });
    funds[fund] = { history: history[fund], forecast };
    if (forecast.warning) {
      const w = forecast.warning;
      found.push({
        fund,
        rule: 'FUND_BALANCE_LOW',
        region: request.region,
        month: w.month,
        figures: {
          balance: w.balance,
          threshold: w.threshold,
          spending: w.spending,
          warningMonths: w.warningMonths,
        },
      });
    }
    // This year's months against the same months of last year.
    const byMonth = new Map(history[fund].map((h) => [h.month, h.spending]));
    for (const m of monthsBetween(`${asOfYear}-01`, request.asOf)) {
      const spending = byMonth.get(m) ?? 0;
      const lastYear = byMonth.get(`${asOfYear - 1}${m.slice(4)}`) ?? 0;
      // Above last year × (1 + share), compared exactly: spending·10000 > lastYear·(10000 + share).
      if (
        lastYear > 0 &&
        BigInt(spending) * 10_000n > BigInt(lastYear) * BigInt(10_000 + request.seasonalShareBp)
      ) {
        found.push({
          fund,
          rule: 'FUND_SPENDING_ABOVE_SEASON',
          region: request.region,
          month: m,
          figures: { spending, lastYear, shareBp: request.seasonalShareBp },
        });
      }
    }
  }
  const warnings = await store.transaction(async (tx) => {
    const out: whatif.FundWarning[] = [];
    if (claim && !(await claim(tx))) return found.map((w) => ({ ...w, alertId: null }));
    for (const w of found) {
      const scheme = w.fund === 'pension' ? '' : `/${request.scheme}`;
      const alert = await raiseAlert(tx, clock, RULES[w.rule], {
        personNo: null,
        subject: `${FUND_WORDS[w.fund]} ${w.region}${scheme}`,
        details: {
          fund: w.fund,
          region: w.region,
          scheme: w.fund === 'pension' ? null : request.scheme,
          month: w.month,
          asOf: request.asOf,
          ...w.figures,
        },
        // A low balance is warned of once per month of figures; a month above its season once.
        dedupKey:
          w.rule === 'FUND_BALANCE_LOW'
            ? `${w.fund}:${w.region}${scheme}:as-of:${request.asOf}`
            : `${w.fund}:${w.region}${scheme}:${w.month}`,
      });
      out.push({ ...w, alertId: alert?.alertId ?? null });
    }
    return out;
  });
  return { warnings, funds };
}
