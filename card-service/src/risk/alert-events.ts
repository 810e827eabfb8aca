import type { RiskAlert, RiskEvent } from '@sscard/registry-protocol';
import { addDays, chinaDate } from '../clock.js';
import type { Queryable } from '../store/store.js';

/**
 * The holder's events around an alert, for the operator deciding what it means: from the day
 * before the finding's day (the day a rule names, or of the instant it names) to the day after,
 * and around the day it was raised, when the two are close. Each read goes through the holder's
 * index of its table.
 */
const WINDOW_DAYS = 1;
/** A finding about a day long past (a death registered late) is looked at around when it was raised only. */
const NEAR_DAYS = 31;

function chinaDayStart(day: string): string {
  return new Date(`${day}T00:00:00.000+08:00`).toISOString();
}

function windowOf(alert: RiskAlert): { from: string; to: string } {
  const raised = chinaDate(new Date(alert.raisedAt));
  const d = alert.details;
  const named =
    typeof d.date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d.date)
      ? d.date
      : typeof d.at === 'string' && !Number.isNaN(Date.parse(d.at))
        ? chinaDate(new Date(d.at))
        : raised;
  const near = Math.abs(Date.parse(named) - Date.parse(raised)) <= NEAR_DAYS * 86_400_000;
  const [first, last] = near ? [named, raised].sort() : [raised, raised];
  return {
    from: chinaDayStart(addDays(first!, -WINDOW_DAYS)),
    to: chinaDayStart(addDays(last!, WINDOW_DAYS + 1)),
  };
}

export async function alertEvents(q: Queryable, alert: RiskAlert): Promise<RiskEvent[]> {
  if (alert.personNo === null) return [];
  const { from, to } = windowOf(alert);
  const p = [alert.personNo, from, to];
  const [settlements, presence, payments, withdrawals] = await Promise.all([
    q.all<{ id: string; at: string; inst: string; t: string; region: string; amount: unknown }>(
      `SELECT settlement_id AS id, settled_at AS at, institution_id AS inst, terminal_id AS t,
         treatment_region AS region, medfee_sumamt AS amount
       FROM settlements WHERE person_no = ? AND settled_at >= ? AND settled_at < ?`,
      p,
    ),
    q.all<{ id: unknown; at: string; kind: string; t: string; region: string; card: string }>(
      `SELECT id, at, kind, terminal_id AS t, region, card_number AS card
       FROM card_presence_events WHERE person_no = ? AND at >= ? AND at < ?`,
      p,
    ),
    q.all<{ at: string; month: string; region: string; amount: unknown; txn: string }>(
      `SELECT paid_at AS at, month, paying_region AS region, amount, txn_id AS txn
       FROM pension_payments WHERE person_no = ? AND paid_at >= ? AND paid_at < ?`,
      p,
    ),
    q.all<{ id: string; at: string; t: string; status: string; amount: unknown }>(
      `SELECT withdrawal_id AS id, authorised_at AS at, terminal_id AS t, status, amount
       FROM bank_withdrawals WHERE person_no = ? AND authorised_at >= ? AND authorised_at < ?`,
      p,
    ),
  ]);
  const events: RiskEvent[] = [
    ...settlements.map((r) => ({
      at: r.at,
      kind: 'settlement' as const,
      what: r.inst,
      terminalId: r.t,
      region: r.region,
      amount: Number(r.amount),
      reference: r.id,
    })),
    ...presence.map((r) => ({
      at: r.at,
      kind: 'card-presence' as const,
      what: r.kind,
      terminalId: r.t,
      region: r.region,
      amount: null,
      reference: `${r.card}#${String(r.id)}`,
    })),
    ...payments.map((r) => ({
      at: r.at,
      kind: 'pension-payment' as const,
      what: r.month,
      terminalId: null,
      region: r.region,
      amount: Number(r.amount),
      reference: r.txn,
    })),
    ...withdrawals.map((r) => ({
      at: r.at,
      kind: 'withdrawal' as const,
      what: r.status,
      terminalId: r.t,
      region: null,
      amount: r.amount === null ? null : Number(r.amount),
      reference: r.id,
    })),
  ];
  return events.sort((a, b) => a.at.localeCompare(b.at) || a.reference.localeCompare(b.reference));
}
