import type { whatif } from '@sscard/registry-protocol';
import { DomainError } from '../errors.js';
import { nextMonth } from '../pension/months.js';
import type { Queryable } from '../store/store.js';
import type { Progress } from './analysis-jobs.js';
import { firstWarning } from './forecast.js';

/**
 * The retirement-age projection (docs/what-if.md, "Pensions"): each holder of the region without a
 * pension and not registered dead starts one the month after reaching their group's pension age;
 * the age is the base age before the change and the rule's raised age after it. Existing pensions
 * go on being paid as they are (no deaths are projected), and every new pension is the same
 * monthly amount. Holders are read a page at a time in person number order.
 */

/** Months since year 0, for arithmetic on `YYYY-MM`. */
const toIndex = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
const fromIndex = (i: number) =>
  `${String(Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`;

/** The pension age in months of a holder born in `birthMonth` under the rule. */
export function raisedAge(rule: whatif.RetirementRule, birthMonth: string): number {
  const since = toIndex(birthMonth) - toIndex(rule.firstBirthMonth);
  if (since < 0) return rule.baseAgeMonths;
  return Math.min(rule.targetAgeMonths, rule.baseAgeMonths + Math.floor(since / rule.birthMonthsPerStep) + 1);
}

/** The first month of pension: the month after the one in which the holder reaches the age. */
export const firstPensionMonth = (birthMonth: string, ageMonths: number): string =>
  fromIndex(toIndex(birthMonth) + ageMonths + 1);

/** Holders of the region who may yet start a pension: none granted, no death registered. */
const CANDIDATES = `h.region = ?
  AND NOT EXISTS (SELECT 1 FROM pension_entitlements e WHERE e.person_no = h.person_no)
  AND NOT EXISTS (SELECT 1 FROM life_event_registrations d WHERE d.person_no = h.person_no AND d.kind = 'death')`;

interface HolderRow {
  person_no: string;
  gender: string;
  birth_date: string;
}

export async function runPensionProjection(
  q: Queryable,
  request: whatif.PensionProjectionRequest,
  progress: Progress = async () => undefined,
  stopped: () => boolean = () => false,
): Promise<whatif.PensionProjectionResult> {
  const existing = await q.get<{ n: number | string; total: number | string | null }>(
    `SELECT COUNT(*) AS n, SUM(monthly_amount) AS total FROM pension_entitlements
     WHERE paying_region = ? AND status = 'active'`,
    [request.region],
  );
  const existingPensioners = Number(existing?.n ?? 0);
  const existingMonthlyOutflow = Number(existing?.total ?? 0);
  const monthlyAmount =
    request.monthlyAmount ??
    (existingPensioners > 0
      ? Math.floor((2 * existingMonthlyOutflow + existingPensioners) / (2 * existingPensioners))
      : 0);
  if (monthlyAmount === 0 && request.monthlyAmount === null) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'the region pays no pension to average: give the monthly amount of a new pension',
      422,
    );
  }
  const months = request.years * 12;
  const first = toIndex(request.firstMonth);
  // New pensions starting in each projected month, before and after the change.
  const startsBefore = new Array<number>(months).fill(0);
  const startsAfter = new Array<number>(months).fill(0);
  const cohorts = new Map<string, whatif.PensionProjectionResult['cohorts'][number]>();
  const total = Number(
    (
      await q.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM holders h WHERE ${CANDIDATES}`, [
        request.region,
      ])
    )?.n ?? 0,
  );
  let holders = 0;
  let done = 0;
  let after = '';
  for (;;) {
    if (stopped()) throw new DomainError('ANALYSIS_STOPPED', 'the projection was stopped', 503);
    const rows = await q.all<HolderRow>(
      `SELECT h.person_no, h.gender, h.birth_date FROM holders h
       WHERE ${CANDIDATES} AND h.person_no > ? ORDER BY h.person_no LIMIT 2000`,
      [request.region, after],
    );
    if (rows.length === 0) break;
    for (const h of rows) {
      const group: whatif.RetirementGroup = h.gender === '1' ? 'male' : 'female';
      const rule = request.rules[group];
      const birthMonth = h.birth_date.slice(0, 7);
      const ageAfter = raisedAge(rule, birthMonth);
      const startBefore = toIndex(firstPensionMonth(birthMonth, rule.baseAgeMonths)) - first;
      const startAfter = toIndex(firstPensionMonth(birthMonth, ageAfter)) - first;
      // Past pension age before the projection and still without a pension: not the change's to count.
      if (startBefore < 0) continue;
      holders++;
      if (startBefore < months) startsBefore[startBefore]!++;
      if (startAfter < months) startsAfter[startAfter]!++;
      if (ageAfter !== rule.baseAgeMonths) {
        const birthYear = Number(birthMonth.slice(0, 4));
        const key = `${birthYear}:${group}`;
        const c = cohorts.get(key);
        if (c) {
          c.holders++;
          c.ageAfterFrom = Math.min(c.ageAfterFrom, ageAfter);
          c.ageAfterTo = Math.max(c.ageAfterTo, ageAfter);
        } else {
          cohorts.set(key, {
            birthYear,
            group,
            holders: 1,
            ageBefore: rule.baseAgeMonths,
            ageAfterFrom: ageAfter,
            ageAfterTo: ageAfter,
          });
        }
      }
    }
    done += rows.length;
    after = rows[rows.length - 1]!.person_no;
    await progress(done, Math.max(total, done));
  }

  // Outflow month by month: the pensions paid now, plus every new one from its first month.
  const outflow = (starts: number[]) => {
    let pensioners = 0;
    return starts.map((n) => {
      pensioners += n;
      return existingMonthlyOutflow + pensioners * monthlyAmount;
    });
  };
  const outBefore = outflow(startsBefore);
  const outAfter = outflow(startsAfter);
  const fund = (out: number[]): whatif.FundForecast => {
    let balance = request.fund.openingBalance;
    let m = request.firstMonth;
    const rows = out.map((spending) => {
      balance += request.fund.monthlyIncome - spending;
      const row = { month: m, income: request.fund.monthlyIncome, spending, balance };
      m = nextMonth(m);
      return row;
    });
    return { method: 'entitlements', months: rows, warning: firstWarning(rows, request.warningMonths) };
  };
  const firstYear = Number(request.firstMonth.slice(0, 4));
  const years: whatif.PensionProjectionResult['years'] = [];
  for (let i = 0; i < months; i++) {
    const year = Number(fromIndex(first + i).slice(0, 4));
    let y = years[year - firstYear];
    if (!y) {
      y = { year, newPensioners: { before: 0, after: 0 }, outflow: { before: 0, after: 0 } };
      years[year - firstYear] = y;
    }
    y.newPensioners.before += startsBefore[i]!;
    y.newPensioners.after += startsAfter[i]!;
    y.outflow.before += outBefore[i]!;
    y.outflow.after += outAfter[i]!;
  }
  return {
    holders,
    existingPensioners,
    existingMonthlyOutflow,
    monthlyAmount,
    years: years.filter((y) => y !== undefined),
    cohorts: [...cohorts.values()].sort(
      (a, b) => a.birthYear - b.birthYear || a.group.localeCompare(b.group),
    ),
    fund: { before: fund(outBefore), after: fund(outAfter) },
  };
}
