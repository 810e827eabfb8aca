import type { RiskAlert, pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { raiseAlert } from '../risk/alerts.js';
import { paymentAfterDeath, paymentsAfterDeath } from '../risk/rules/payment-after-death.js';
import { withdrawalAfterDeath, withdrawalsAfterDeath } from '../risk/rules/withdrawal-after-death.js';
import type { Queryable } from '../store/store.js';
import { getEntitlement, recordChange, writeStatus } from './entitlements.js';
import { monthOf } from './months.js';

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
}

const fromRow = (r: RegistrationRow) => ({
  personNo: r.person_no,
  kind: r.kind,
  date: r.event_date,
  reference: r.reference,
  source: r.source,
  registeredAt: r.registered_at,
  registeredBy: r.registered_by,
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
