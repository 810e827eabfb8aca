import { chinaDate } from '../../clock.js';
import type { RiskRule } from './rule.js';

/** More settlements for one holder in one day than `maxSettlementsPerDay`: prescriptions resold, a card lent. */
export const tooManySettlements: RiskRule = {
  code: 'TOO_MANY_SETTLEMENTS',
  severity: 'medium',
  words: 'more medical settlements for one holder in a day than the limit',
  action: 'alert',
  // Run as the settlement is being made: the day's earlier settlements and this one.
  async onEvent(tx, e, config) {
    if (e.kind !== 'settlement') return [];
    const date = chinaDate(new Date(e.at));
    const row = await tx.get<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM settlements WHERE person_no = ? AND business_date = ?',
      [e.personNo, date],
    );
    const count = Number(row?.n ?? 0) + 1;
    if (count <= config.maxSettlementsPerDay) return [];
    return [finding(e.personNo, date, count, config.maxSettlementsPerDay)];
  },
  async daily(q, day, config) {
    const rows = await q.all<{ person_no: string; n: number | string }>(
      `SELECT person_no, COUNT(*) AS n FROM settlements WHERE business_date = ?
       GROUP BY person_no HAVING COUNT(*) > ? ORDER BY person_no`,
      [day.date, config.maxSettlementsPerDay],
    );
    return rows.map((r) => finding(r.person_no, day.date, Number(r.n), config.maxSettlementsPerDay));
  },
};

const finding = (personNo: string, date: string, count: number, limit: number) => ({
  personNo,
  subject: `holder ${personNo}`,
  details: { date, settlements: count, limit },
  // One alert per holder and day, however many more settlements follow.
  dedupKey: `${personNo}:${date}`,
});
