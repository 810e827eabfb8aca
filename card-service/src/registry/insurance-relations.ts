import { randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/audit-log.js';
import { DomainError, conflict, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from './actor.js';
import { FINAL_STATES } from './card-status.js';
import type { RegistryContext } from './context.js';
import type { InsuranceRelation, RelationStatus } from './model.js';
import * as q from './queries.js';
import { holderSubject } from './subjects.js';
import { REGION_RE, invalid, isCalendarDate } from './validation.js';

export interface RelationInput {
  schemeCode: string;
  insuredRegion: string;
  status?: RelationStatus;
  startDate: string;
  pauseDate?: string | null;
}

/** `relationId`: the bulk import's own deterministic id; otherwise a random one. */
export function relationFromInput(
  personNo: string,
  input: RelationInput,
  relationId?: string,
): InsuranceRelation {
  if (!/^[0-9]{3}$/.test(input.schemeCode)) throw invalid('schemeCode', 'a three-digit scheme code expected');
  if (!REGION_RE.test(input.insuredRegion))
    throw invalid('insuredRegion', 'a six-digit region code expected');
  if (!isCalendarDate(input.startDate)) throw invalid('startDate', 'a date YYYY-MM-DD expected');
  const status = input.status ?? 'active';
  const pauseDate = input.pauseDate ?? null;
  if (pauseDate !== null && !isCalendarDate(pauseDate))
    throw invalid('pauseDate', 'a date YYYY-MM-DD expected');
  if (status === 'paused' && pauseDate === null) throw invalid('pauseDate', 'required for a paused relation');
  if (pauseDate !== null && pauseDate < input.startDate) throw invalid('pauseDate', 'before the start date');
  return {
    relationId: relationId ?? `R${randomBytes(8).toString('hex').toUpperCase()}`,
    personNo,
    schemeCode: input.schemeCode,
    insuredRegion: input.insuredRegion,
    status,
    startDate: input.startDate,
    pauseDate,
    cardNumber: null,
  };
}

/** Adds a scheme in a region to a holder; the holder's current card carries it. */
export async function addRelation(
  ctx: RegistryContext,
  personNo: string,
  input: RelationInput,
  actor: Actor,
): Promise<InsuranceRelation> {
  return ctx.store.transaction(async (tx) => {
    const holder = await q.getHolder(tx, personNo);
    if (!holder) throw notFound('holder', { personNo });
    const relation = relationFromInput(personNo, input);
    const existing = await q.listRelations(tx, personNo);
    if (
      existing.some((r) => r.schemeCode === relation.schemeCode && r.insuredRegion === relation.insuredRegion)
    ) {
      throw conflict('RELATION_EXISTS', 'the holder has this scheme in this region already');
    }
    const current = (await q.listCardsOfHolder(tx, personNo)).find(
      (c) => !c.temporary && !FINAL_STATES.includes(c.status),
    );
    relation.cardNumber = current?.cardNumber ?? null;
    await q.insertRelations(tx, [relation]);
    await q.recordHistory(tx, {
      entity: 'relation',
      entityId: relation.relationId,
      action: 'create',
      changes: { ...relation },
      actor: actorLabel(actor),
      at: ctx.clock().toISOString(),
    });
    await appendAudit(tx, ctx.clock, {
      ...auditActor(actor),
      action: 'relation.create',
      subject: holderSubject(holder),
      result: 'ok',
      details: { schemeCode: relation.schemeCode, insuredRegion: relation.insuredRegion },
    });
    return relation;
  });
}

/** Pauses, resumes or terminates a relation; a terminated relation stays terminated. */
export async function setRelationStatus(
  ctx: RegistryContext,
  relationId: string,
  status: RelationStatus,
  date: string | null,
  actor: Actor,
): Promise<InsuranceRelation> {
  if (status === 'paused' && (date === null || !isCalendarDate(date))) {
    throw invalid('pauseDate', 'a date YYYY-MM-DD expected');
  }
  return ctx.store.transaction(async (tx) => {
    const before = await q.getRelation(tx, relationId);
    if (!before) throw notFound('insurance relation', { relationId });
    if (before.status === 'terminated') {
      throw new DomainError('ILLEGAL_TRANSITION', 'a terminated relation cannot change', 409, {
        state: before.status,
        event: status,
      });
    }
    const after: InsuranceRelation = { ...before, status, pauseDate: status === 'paused' ? date : null };
    await q.updateRelationRow(tx, after);
    await q.recordHistory(tx, {
      entity: 'relation',
      entityId: relationId,
      action: `status.${status}`,
      changes: q.diff(before, after),
      actor: actorLabel(actor),
      at: ctx.clock().toISOString(),
    });
    await appendAudit(tx, ctx.clock, {
      ...auditActor(actor),
      action: `relation.${status}`,
      subject: `holder ${before.personNo}`,
      result: 'ok',
      details: { relationId, schemeCode: before.schemeCode },
    });
    return after;
  });
}
