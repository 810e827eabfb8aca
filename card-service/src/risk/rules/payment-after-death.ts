import type { Queryable } from '../../store/store.js';
import type { RiskFinding } from '../alerts.js';
import type { RiskRule } from './rule.js';

/**
 * A pension payment for a month after the month of a registered death (or imprisonment): the
 * holder's card account was paid what it must give back. Found when the registration arrives (it
 * is usually later than the death) and by the daily job over every registration.
 */
export const paymentAfterDeath: RiskRule = {
  code: 'PAYMENT_AFTER_DEATH',
  severity: 'high',
  words:
    'a pension payment for a month after the holder’s registered death or imprisonment: recover the amount',
  action: 'alert',
  daily: (q) => paymentsAfterDeath(q),
};

export async function paymentsAfterDeath(q: Queryable, personNo?: string): Promise<RiskFinding[]> {
  const rows = await q.all<{
    person_no: string;
    month: string;
    amount: number | string;
    txn_id: string;
    kind: string;
    event_date: string;
  }>(
    `SELECT p.person_no, p.month, p.amount, p.txn_id, r.kind, r.event_date
     FROM pension_payments p JOIN life_event_registrations r ON r.person_no = p.person_no
     WHERE p.month > substr(r.event_date, 1, 7)${personNo ? ' AND p.person_no = ?' : ''}
     ORDER BY p.person_no, p.month, r.kind`,
    personNo ? [personNo] : [],
  );
  return rows.map((r) => ({
    personNo: r.person_no,
    subject: `pension payment ${r.txn_id}`,
    details: { month: r.month, txnId: r.txn_id, registration: r.kind, date: r.event_date },
    amountToRecover: Number(r.amount),
    // A payment is recovered once, whichever registration found it.
    dedupKey: r.txn_id,
  }));
}
