import type { Queryable } from '../../store/store.js';
import type { RiskFinding } from '../alerts.js';
import type { RiskRule } from './rule.js';

/**
 * A bank withdrawal from the card account of a holder whose death (or imprisonment) is
 * registered with an earlier date. The withdrawal itself refuses a holder whose pension use is
 * frozen, so money moved only when the registration came after the withdrawal: found when the
 * registration arrives and by the daily job, with the amount to recover. An attempt after the
 * registration is seen as it happens (someone holds the card and its PIN), nothing to recover.
 */
export const withdrawalAfterDeath: RiskRule = {
  code: 'WITHDRAWAL_AFTER_DEATH',
  severity: 'high',
  words: 'a withdrawal with the card after the holder’s registered death or imprisonment',
  action: 'alert',
  async onEvent(tx, e) {
    if (e.kind !== 'withdrawal') return [];
    const registration = await tx.get<{ kind: string; event_date: string }>(
      `SELECT kind, event_date FROM life_event_registrations WHERE person_no = ? AND event_date < ?
       ORDER BY event_date LIMIT 1`,
      [e.personNo, e.at.slice(0, 10)],
    );
    if (!registration) return [];
    return [
      {
        personNo: e.personNo,
        subject: `card ${e.cardNumber}`,
        details: {
          attempt: true,
          terminalId: e.terminalId,
          at: e.at,
          registration: registration.kind,
          date: registration.event_date,
        },
        dedupKey: `withdrawal-attempt:${e.cardNumber}:${e.at}`,
      },
    ];
  },
  daily: (q) => withdrawalsAfterDeath(q),
};

/** Withdrawals that moved money (approved or completed, not reversed) after a registered death. */
export async function withdrawalsAfterDeath(q: Queryable, personNo?: string): Promise<RiskFinding[]> {
  const rows = await q.all<{
    person_no: string;
    withdrawal_id: string;
    amount: number | string;
    authorised_at: string;
    terminal_id: string;
    kind: string;
    event_date: string;
  }>(
    `SELECT w.person_no, w.withdrawal_id, w.amount, w.authorised_at, w.terminal_id, r.kind, r.event_date
     FROM bank_withdrawals w JOIN life_event_registrations r ON r.person_no = w.person_no
     WHERE w.status IN ('approved', 'completed') AND substr(w.authorised_at, 1, 10) > r.event_date
       ${personNo ? 'AND w.person_no = ?' : ''}
     ORDER BY w.person_no, w.authorised_at, r.kind`,
    personNo ? [personNo] : [],
  );
  return rows.map((r) => ({
    personNo: r.person_no,
    subject: `bank withdrawal ${r.withdrawal_id}`,
    details: {
      withdrawalId: r.withdrawal_id,
      terminalId: r.terminal_id,
      at: r.authorised_at,
      registration: r.kind,
      date: r.event_date,
    },
    amountToRecover: Number(r.amount),
    // A withdrawal is recovered once, whichever registration found it.
    dedupKey: `withdrawal:${r.withdrawal_id}`,
  }));
}
