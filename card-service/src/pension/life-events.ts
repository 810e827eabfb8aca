import type { RiskAlert, pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { raiseAlert } from '../risk/alerts.js';
import { paymentAfterDeath, paymentsAfterDeath } from '../risk/rules/payment-after-death.js';
import { withdrawalAfterDeath, withdrawalsAfterDeath } from '../risk/rules/withdrawal-after-death.js';
import { type Queryable, forUpdate } from '../store/store.js';
import { getEntitlement, recordChange, writeStatus } from './entitlements.js';
import { monthOf, nextMonth } from './months.js';

type LifeEventInput = {
  personNo: string;
  kind: pension.LifeEventKind;
  date: string;
  reference?: string | undefined;
};

interface RegistrationRow {
  person_no: string;
  kind: pension.LifeEventKind;
  event_date: string;
  reference: string | null;
  source: 'operator' | 'feed';
  registered_at: string;
  registered_by: string;
  released_on: string | null;
}

const fromRow = (r: RegistrationRow) => ({
  personNo: r.person_no,
  kind: r.kind,
  date: r.event_date,
  reference: r.reference,
  source: r.source,
  registeredAt: r.registered_at,
  registeredBy: r.registered_by,
  releasedOn: r.released_on ?? null,
});

/**
 * Registers a death or imprisonment in the caller's transaction: the pension stops, payable
 * through the month of the date (payments stop from the month after it), the card account's
 * pension use is frozen, and every payment already made for a later month raises an alert with
 * its amount to recover. The same registration again changes nothing; another date for the same
 * holder and kind is refused.
 */
export async function registerLifeEvent(
  tx: Queryable,
  clock: Clock,
  input: LifeEventInput,
  source: 'operator' | 'feed',
  actor: Actor,
): Promise<{
  registration: ReturnType<typeof fromRow>;
  entitlement: pension.PensionEntitlement | null;
  alerts: RiskAlert[];
  replayed: boolean;
}> {
  const holder = await tx.get('SELECT 1 AS x FROM holders WHERE person_no = ?', [input.personNo]);
  if (!holder) throw notFound('holder');
  const earlier = await tx.get<RegistrationRow>(
    'SELECT * FROM life_event_registrations WHERE person_no = ? AND kind = ?',
    [input.personNo, input.kind],
  );
  if (earlier) {
    if (earlier.event_date !== input.date) {
      throw new DomainError(
        'LIFE_EVENT_CONFLICT',
        `a ${input.kind} of this holder is registered with another date`,
        409,
        {
          date: earlier.event_date,
        },
      );
    }
    return {
      registration: fromRow(earlier),
      entitlement: (await getEntitlement(tx, input.personNo)) ?? null,
      alerts: [],
      replayed: true,
    };
  }
  const at = clock().toISOString();
  const row: RegistrationRow = {
    person_no: input.personNo,
    kind: input.kind,
    event_date: input.date,
    reference: input.reference ?? null,
    source,
    registered_at: at,
    registered_by: actorLabel(actor),
    released_on: null,
  };
  await tx.run(
    `INSERT INTO life_event_registrations (person_no, kind, event_date, reference, source, registered_at, registered_by)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      row.person_no,
      row.kind,
      row.event_date,
      row.reference,
      row.source,
      row.registered_at,
      row.registered_by,
    ],
  );
  const e = await getEntitlement(tx, input.personNo, true);
  let entitlement: pension.PensionEntitlement | null = null;
  if (e) {
    const last = monthOf(input.date);
    entitlement = {
      ...e,
      status: 'stopped',
      lastMonth: e.status === 'stopped' && e.lastMonth !== null && e.lastMonth < last ? e.lastMonth : last,
      suspendedFor: null,
      frozenAt: e.frozenAt ?? at,
      updatedAt: at,
    };
    await writeStatus(tx, entitlement);
    await recordChange(tx, clock, entitlement, input.kind, input.reference ?? null, actor, {
      date: input.date,
      source,
    });
  } else {
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: `pension.${input.kind}`,
      subject: `holder ${input.personNo}`,
      result: 'ok',
      details: { date: input.date, source, entitlement: false },
    });
  }
  const alerts: RiskAlert[] = [];
  for (const finding of await paymentsAfterDeath(tx, input.personNo)) {
    const alert = await raiseAlert(tx, clock, paymentAfterDeath, finding);
    if (alert) alerts.push(alert);
  }
  for (const finding of await withdrawalsAfterDeath(tx, input.personNo)) {
    const alert = await raiseAlert(tx, clock, withdrawalAfterDeath, finding);
    if (alert) alerts.push(alert);
  }
  return { registration: fromRow(row), entitlement, alerts, replayed: false };
}

const notReleasable = (why: string, details?: Record<string, unknown>) =>
  new DomainError('LIFE_EVENT_NOT_RELEASABLE', why, 409, details);

/**
 * Registers a release from imprisonment in the caller's transaction. The pension the imprisonment
 * stopped is active again and the card account's pension use no longer frozen; the months of the
 * term — after the month of imprisonment, through the month of release — are recorded as never
 * payable, and every other month withheld is paid by the next run, as when a certification
 * resumes a suspended pension. A pension stopped since for another cause stays stopped. The same
 * release again changes nothing.
 */
export async function registerRelease(
  tx: Queryable,
  clock: Clock,
  input: { personNo: string; date: string; reference?: string | undefined },
  actor: Actor,
): Promise<pension.ReleaseAnswer> {
  const imprisonment = await tx.get<RegistrationRow>(
    `SELECT * FROM life_event_registrations WHERE person_no = ? AND kind = 'imprisonment'${forUpdate(tx.dialect)}`,
    [input.personNo],
  );
  if (!imprisonment) throw notReleasable('the holder has no imprisonment registered');
  const death = await tx.get<RegistrationRow>(
    "SELECT * FROM life_event_registrations WHERE person_no = ? AND kind = 'death'",
    [input.personNo],
  );
  if (death) throw notReleasable('the holder is registered dead', { date: death.event_date });
  if (input.date < imprisonment.event_date) {
    throw notReleasable('the release is before the imprisonment', { imprisonedOn: imprisonment.event_date });
  }
  const term = { fromMonth: nextMonth(monthOf(imprisonment.event_date)), toMonth: monthOf(input.date) };
  const unpaid = term.fromMonth <= term.toMonth ? term : null;
  if (imprisonment.released_on !== null) {
    if (imprisonment.released_on !== input.date) {
      throw notReleasable('the holder is released on another date', { releasedOn: imprisonment.released_on });
    }
    return {
      registration: fromRow(imprisonment),
      entitlement: (await getEntitlement(tx, input.personNo)) ?? null,
      unpaid,
      replayed: true,
    };
  }
  await tx.run(
    "UPDATE life_event_registrations SET released_on = ?, release_reference = ? WHERE person_no = ? AND kind = 'imprisonment'",
    [input.date, input.reference ?? null, input.personNo],
  );
  const registration = fromRow({ ...imprisonment, released_on: input.date });
  const e = await getEntitlement(tx, input.personNo, true);
  const at = clock().toISOString();
  const details = { date: input.date, imprisonedOn: imprisonment.event_date, unpaid };
  if (!e) {
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'pension.release',
      subject: `holder ${input.personNo}`,
      result: 'ok',
      details: { ...details, entitlement: false },
    });
    return { registration, entitlement: null, unpaid, replayed: false };
  }
  const lastChange = await tx.get<{ action: string }>(
    'SELECT action FROM pension_entitlement_history WHERE person_no = ? ORDER BY id DESC LIMIT 1',
    [input.personNo],
  );
  const stoppedByIt = e.status === 'stopped' && lastChange?.action === 'imprisonment';
  const after: pension.PensionEntitlement = stoppedByIt
    ? { ...e, status: 'active', lastMonth: null, suspendedFor: null, frozenAt: null, updatedAt: at }
    : { ...e, frozenAt: null, updatedAt: at };
  await writeStatus(tx, after);
  if (unpaid) {
    await tx.run(
      `INSERT INTO pension_unpaid_periods (person_no, from_month, to_month, reason) VALUES (?, ?, ?, 'imprisonment')
       ON CONFLICT (person_no, from_month) DO NOTHING`,
      [input.personNo, unpaid.fromMonth, unpaid.toMonth],
    );
  }
  await recordChange(tx, clock, after, 'release', input.reference ?? null, actor, {
    ...details,
    resumed: stoppedByIt,
  });
  return { registration, entitlement: after, unpaid, replayed: false };
}
