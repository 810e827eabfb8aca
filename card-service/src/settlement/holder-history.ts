import type { pension } from '@sscard/registry-protocol';
import type { Queryable } from '../store/store.js';

type SettlementMonth = pension.CitizenSummary['medical']['months'][number];

/** `2026-12` → the twelve months up to it, oldest first. */
export function lastTwelveMonths(thisMonth: string): string[] {
  const [y, m] = thisMonth.split('-').map(Number) as [number, number];
  return Array.from({ length: 12 }, (_, i) => {
    const index = y * 12 + (m - 1) - (11 - i);
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
  });
}

/**
 * A holder's medical settlements as the holder sees them: per month for the twelve months up to
 * `thisMonth` (by the institution's business day; cancelled and reversed ones left out, since
 * their money went back), and the latest ones with what each fund, the account and the holder paid.
 */
export async function holderSettlements(
  q: Queryable,
  personNo: string,
  thisMonth: string,
  latest = 10,
): Promise<{ months: SettlementMonth[]; recent: pension.CitizenSettlement[] }> {
  const months = lastTwelveMonths(thisMonth);
  const rows = await q.all<{
    settled_at: string;
    business_date: string;
    institution: string | null;
    medfee_sumamt: number | string;
    hifp_pay: number | string;
    hifmi_pay: number | string;
    acct_pay: number | string;
    psn_cash_pay: number | string;
    ended: 'cancelled' | 'reversed' | null;
  }>(
    `SELECT s.settled_at, s.business_date, i.name AS institution, s.medfee_sumamt, s.hifp_pay,
            s.hifmi_pay, s.acct_pay, s.psn_cash_pay, e.kind AS ended
       FROM settlements s
       LEFT JOIN institutions i ON i.institution_id = s.institution_id
       LEFT JOIN settlement_endings e ON e.settlement_id = s.settlement_id
      WHERE s.person_no = ? AND s.business_date >= ?
      ORDER BY s.settled_at DESC`,
    [personNo, `${months[0]}-01`],
  );
  const byMonth = new Map(months.map((m) => [m, { month: m, settlements: 0, total: 0, accountPaid: 0 }]));
  for (const r of rows) {
    const slot = byMonth.get(r.business_date.slice(0, 7));
    if (!slot || r.ended) continue;
    slot.settlements += 1;
    slot.total += Number(r.medfee_sumamt);
    slot.accountPaid += Number(r.acct_pay);
  }
  const recent = rows.slice(0, latest).map((r) => ({
    settledAt: r.settled_at,
    businessDate: r.business_date,
    institution: r.institution ?? '',
    total: Number(r.medfee_sumamt),
    fundPaid: Number(r.hifp_pay) + Number(r.hifmi_pay),
    accountPaid: Number(r.acct_pay),
    cashPaid: Number(r.psn_cash_pay),
    status: r.ended ?? ('settled' as const),
  }));
  return { months: [...byMonth.values()], recent };
}
