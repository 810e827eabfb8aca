import type { Queryable } from '../store/store.js';
import { SETTLEMENT_SELECT, settlementFromRow } from './engine.js';
import type { Settlement } from '@sscard/registry-protocol/settlement';

/**
 * Reconciliation of an institution's business day (3201 totals, 3202 detail), so a desk can
 * check its journal against the service: every settlement of the day, and which of them were
 * cancelled or reversed since.
 */
export interface Totals {
  count: number;
  medfee_sumamt: number;
  hifp_pay: number;
  hifmi_pay: number;
  acct_pay: number;
  psn_cash_pay: number;
}

const FIELDS = ['medfee_sumamt', 'hifp_pay', 'hifmi_pay', 'acct_pay', 'psn_cash_pay'] as const;

export async function reconciliationTotals(
  q: Queryable,
  institutionId: string,
  date: string,
): Promise<{ institutionId: string; date: string; settled: Totals; ended: Totals; standing: Totals }> {
  const sums = FIELDS.map((f) => `SUM(s.${f}) AS ${f}`).join(', ');
  const rows = await q.all<Record<string, number | string | null> & { ended: number | string }>(
    `SELECT CASE WHEN e.settlement_id IS NULL THEN 0 ELSE 1 END AS ended, COUNT(*) AS count, ${sums}
     FROM settlements s LEFT JOIN settlement_endings e ON e.settlement_id = s.settlement_id
     WHERE s.institution_id = ? AND s.business_date = ?
     GROUP BY CASE WHEN e.settlement_id IS NULL THEN 0 ELSE 1 END`,
    [institutionId, date],
  );
  const totals = (ended: number): Totals => {
    const r = rows.find((x) => Number(x.ended) === ended);
    return {
      count: Number(r?.count ?? 0),
      ...(Object.fromEntries(FIELDS.map((f) => [f, Number(r?.[f] ?? 0)])) as Omit<Totals, 'count'>),
    };
  };
  const standing = totals(0);
  const ended = totals(1);
  const settled = Object.fromEntries(
    (Object.keys(standing) as (keyof Totals)[]).map((k) => [k, standing[k] + ended[k]]),
  ) as unknown as Totals;
  return { institutionId, date, settled, ended, standing };
}

export async function reconciliationDetail(
  q: Queryable,
  institutionId: string,
  date: string,
): Promise<{ institutionId: string; date: string; settlements: Settlement[] }> {
  const rows = await q.all<Parameters<typeof settlementFromRow>[0]>(
    `${SETTLEMENT_SELECT} WHERE s.institution_id = ? AND s.business_date = ? ORDER BY s.settled_at, s.settlement_id`,
    [institutionId, date],
  );
  return { institutionId, date, settlements: rows.map(settlementFromRow) };
}
