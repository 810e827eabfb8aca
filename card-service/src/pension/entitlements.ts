import type { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import { type Clock, addDays, addYears, chinaDate } from '../clock.js';
import { DomainError, conflict, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';
import { chinaMonth } from './months.js';

type PensionStatus = pension.PensionStatus;

interface EntitlementRow {
  person_no: string;
  monthly_amount: number | string;
  first_month: string;
  paying_region: string;
  status: PensionStatus;
  last_month: string | null;
  paid_through: string | null;
  certified_until: string | null;
  suspended_for: 'certification' | 'operator' | null;
  frozen_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The last day of a certification cycle that starts on `date`: twelve months, that day excluded. */
export const cycleEnd = (date: string): string => addDays(addYears(date, 1), -1);

const fromRow = (r: EntitlementRow): pension.PensionEntitlement => ({
  personNo: r.person_no,
  monthlyAmount: Number(r.monthly_amount),
  firstMonth: r.first_month,
  payingRegion: r.paying_region,
  status: r.status,
  lastMonth: r.last_month,
  paidThrough: r.paid_through,
  // Granted before certification was recorded: the cycle runs from the grant.
  certifiedUntil: r.certified_until ?? cycleEnd(chinaDate(new Date(r.created_at))),
  suspendedFor: r.suspended_for,
  frozenAt: r.frozen_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function getEntitlement(
  q: Queryable,
  personNo: string,
  lock = false,
): Promise<pension.PensionEntitlement | undefined> {
  const row = await q.get<EntitlementRow>(
    `SELECT * FROM pension_entitlements WHERE person_no = ?${lock ? forUpdate(q.dialect) : ''}`,
    [personNo],
  );
  return row ? fromRow(row) : undefined;
}

/** Entitlements matching a condition on `pension_entitlements`, in person number order. */
export async function entitlementsWhere(
  q: Queryable,
  where: string,
  params: readonly (string | number)[],
): Promise<pension.PensionEntitlement[]> {
  const rows = await q.all<EntitlementRow>(
    `SELECT * FROM pension_entitlements WHERE ${where} ORDER BY person_no`,
    params,
  );
  return rows.map(fromRow);
}

export async function entitlementRecord(
  q: Queryable,
  personNo: string,
): Promise<pension.PensionEntitlementRecord> {
  const entitlement = await getEntitlement(q, personNo);
  if (!entitlement) throw notFound('pension entitlement');
  const history = await q.all<{
    at: string;
    action: string;
    status: PensionStatus;
    monthly_amount: number | string;
    reason: string | null;
    actor: string;
  }>(
    'SELECT at, action, status, monthly_amount, reason, actor FROM pension_entitlement_history WHERE person_no = ? ORDER BY id',
    [personNo],
  );
  return {
    entitlement,
    history: history.map((h) => ({
      at: h.at,
      action: h.action,
      status: h.status,
      monthlyAmount: Number(h.monthly_amount),
      reason: h.reason,
      actor: h.actor,
    })),
  };
}

/** One change of an entitlement in its history and the audit log, in the caller's transaction. */
export async function recordChange(
  tx: Queryable,
  clock: Clock,
  e: pension.PensionEntitlement,
  action: string,
  reason: string | null,
  actor: Actor,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.run(
    `INSERT INTO pension_entitlement_history (person_no, action, status, monthly_amount, reason, actor, at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [e.personNo, action, e.status, e.monthlyAmount, reason, actorLabel(actor), e.updatedAt],
  );
  await appendAudit(tx, clock, {
    ...auditActor(actor),
    action: `pension.${action}`,
    subject: `holder ${e.personNo}`,
    result: 'ok',
    details: { status: e.status, monthlyAmount: e.monthlyAmount, payingRegion: e.payingRegion, ...details },
  });
}

/** Grants a holder a monthly pension, active from its first month. */
export async function createEntitlement(
  store: Store,
  clock: Clock,
  input: { personNo: string; monthlyAmount: number; firstMonth: string; payingRegion: string },
  actor: Actor,
): Promise<pension.PensionEntitlementRecord> {
  return store.transaction(async (tx) => {
    const holder = await tx.get('SELECT 1 AS x FROM holders WHERE person_no = ?', [input.personNo]);
    if (!holder) throw notFound('holder');
    if (await getEntitlement(tx, input.personNo)) {
      throw conflict('PENSION_ENTITLEMENT_EXISTS', 'the holder has a pension entitlement already');
    }
    const now = clock();
    const at = now.toISOString();
    const e: pension.PensionEntitlement = {
      ...input,
      status: 'active',
      lastMonth: null,
      paidThrough: null,
      // The grant is decided with the holder before the bureau: their first cycle starts with it.
      certifiedUntil: cycleEnd(chinaDate(now)),
      suspendedFor: null,
      frozenAt: null,
      createdAt: at,
      updatedAt: at,
    };
    await tx.run(
      `INSERT INTO pension_entitlements (person_no, monthly_amount, first_month, paying_region, status, certified_until,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [e.personNo, e.monthlyAmount, e.firstMonth, e.payingRegion, e.status, e.certifiedUntil, at, at],
    );
    await recordChange(tx, clock, e, 'grant', null, actor, { firstMonth: e.firstMonth });
    return entitlementRecord(tx, e.personNo);
  });
}

/**
 * Moves an entitlement between active and suspended, or stops it. A stopped entitlement keeps its
 * last payable month (`lastMonth`, the current month unless given) and never pays again; a
 * suspended one pays nothing until it is active again, when the next run pays the months withheld.
 */
export async function setEntitlementStatus(
  store: Store,
  clock: Clock,
  personNo: string,
  change: { status: PensionStatus; reason: string; lastMonth?: string | undefined },
  actor: Actor,
): Promise<pension.PensionEntitlementRecord> {
  return store.transaction(async (tx) => {
    const e = await getEntitlement(tx, personNo, true);
    if (!e) throw notFound('pension entitlement');
    const changed = changeStatus(e, change.status, change.lastMonth ?? chinaMonth(clock()), clock);
    await writeStatus(tx, changed);
    await recordChange(
      tx,
      clock,
      changed,
      change.status === 'active' ? 'resume' : change.status === 'suspended' ? 'suspend' : 'stop',
      change.reason,
      actor,
      changed.lastMonth ? { lastMonth: changed.lastMonth } : {},
    );
    return entitlementRecord(tx, personNo);
  });
}

/** The entitlement after a status change, or a refusal naming why it cannot change so. */
export function changeStatus(
  e: pension.PensionEntitlement,
  status: PensionStatus,
  lastMonth: string,
  clock: Clock,
): pension.PensionEntitlement {
  if (e.status === 'stopped') {
    throw new DomainError('PENSION_STATUS_ILLEGAL', 'a stopped pension is not changed again', 409, {
      status: e.status,
    });
  }
  if (e.status === status) {
    throw new DomainError('PENSION_STATUS_ILLEGAL', `the pension is ${status} already`, 409, { status });
  }
  return {
    ...e,
    status,
    lastMonth: status === 'stopped' ? lastMonth : e.lastMonth,
    suspendedFor: status === 'suspended' ? 'operator' : null,
    updatedAt: clock().toISOString(),
  };
}

export async function writeStatus(tx: Queryable, e: pension.PensionEntitlement): Promise<void> {
  await tx.run(
    `UPDATE pension_entitlements SET status = ?, last_month = ?, suspended_for = ?, certified_until = ?, frozen_at = ?,
       updated_at = ? WHERE person_no = ?`,
    [e.status, e.lastMonth, e.suspendedFor, e.certifiedUntil, e.frozenAt, e.updatedAt, e.personNo],
  );
}

export async function listPayments(q: Queryable, personNo: string): Promise<pension.PensionPayment[]> {
  if (!(await getEntitlement(q, personNo))) throw notFound('pension entitlement');
  return readPayments(q, personNo);
}

/** The person's pension payments oldest first; with `latest`, only that many of the newest, newest first. */
export async function readPayments(
  q: Queryable,
  personNo: string,
  latest?: number,
): Promise<pension.PensionPayment[]> {
  const rows = await q.all<{
    month: string;
    amount: number | string;
    paying_region: string;
    run_month: string;
    paid_at: string;
    txn_id: string;
  }>(
    `SELECT month, amount, paying_region, run_month, paid_at, txn_id FROM pension_payments
     WHERE person_no = ? ORDER BY month${latest === undefined ? '' : ' DESC LIMIT ?'}`,
    latest === undefined ? [personNo] : [personNo, latest],
  );
  return rows.map((r) => ({
    month: r.month,
    amount: Number(r.amount),
    payingRegion: r.paying_region,
    runMonth: r.run_month,
    paidAt: r.paid_at,
    txnId: r.txn_id,
  }));
}

/**
 * Re-assesses an entitlement's monthly amount from a month on, in one transaction: the amount in
 * force from each month is kept (`pension_amounts`, its first row the amount granted), so the
 * next run pays every month from `fromMonth` at the new amount — withheld months included — and
 * the months before at theirs. A month already paid is refused; the same re-assessment again
 * changes nothing.
 */
export async function setEntitlementAmount(
  store: Store,
  clock: Clock,
  personNo: string,
  change: { monthlyAmount: number; fromMonth: string; reason: string },
  actor: Actor,
): Promise<pension.PensionEntitlementRecord> {
  return store.transaction(async (tx) => {
    const e = await getEntitlement(tx, personNo, true);
    if (!e) throw notFound('pension entitlement');
    if (e.status === 'stopped') {
      throw new DomainError('PENSION_STATUS_ILLEGAL', 'a stopped pension is not re-assessed', 409, {
        status: e.status,
      });
    }
    if (change.fromMonth < e.firstMonth) {
      throw new DomainError('VALIDATION_FAILED', 'the re-assessment starts before the pension does', 400, {
        firstMonth: e.firstMonth,
      });
    }
    if (e.paidThrough !== null && change.fromMonth <= e.paidThrough) {
      throw new DomainError(
        'PENSION_AMOUNT_ALREADY_PAID',
        `${change.fromMonth} is paid already; a re-assessment starts after ${e.paidThrough}`,
        409,
        { paidThrough: e.paidThrough },
      );
    }
    const amounts = await tx.all<{ from_month: string; monthly_amount: number | string }>(
      'SELECT from_month, monthly_amount FROM pension_amounts WHERE person_no = ? ORDER BY from_month',
      [personNo],
    );
    const same = amounts.find((a) => a.from_month === change.fromMonth);
    if (same && Number(same.monthly_amount) === change.monthlyAmount) return entitlementRecord(tx, personNo);
    const at = clock().toISOString();
    if (amounts.length === 0 && change.fromMonth !== e.firstMonth) {
      await tx.run(
        'INSERT INTO pension_amounts (person_no, from_month, monthly_amount, reason, recorded_at) VALUES (?, ?, ?, ?, ?)',
        [personNo, e.firstMonth, e.monthlyAmount, 'granted', at],
      );
    }
    await tx.run(
      `INSERT INTO pension_amounts (person_no, from_month, monthly_amount, reason, recorded_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (person_no, from_month) DO UPDATE SET monthly_amount = excluded.monthly_amount,
         reason = excluded.reason, recorded_at = excluded.recorded_at`,
      [personNo, change.fromMonth, change.monthlyAmount, change.reason, at],
    );
    // The entitlement shows the amount of its latest re-assessment, the one runs go on paying.
    const latest = await tx.get<{ monthly_amount: number | string }>(
      'SELECT monthly_amount FROM pension_amounts WHERE person_no = ? ORDER BY from_month DESC LIMIT 1',
      [personNo],
    );
    const after: pension.PensionEntitlement = {
      ...e,
      monthlyAmount: Number(latest!.monthly_amount),
      updatedAt: at,
    };
    await tx.run('UPDATE pension_entitlements SET monthly_amount = ?, updated_at = ? WHERE person_no = ?', [
      after.monthlyAmount,
      at,
      personNo,
    ]);
    await recordChange(tx, clock, after, 'reassess', change.reason, actor, {
      fromMonth: change.fromMonth,
      newAmount: change.monthlyAmount,
      previousAmount: e.monthlyAmount,
    });
    return entitlementRecord(tx, personNo);
  });
}
