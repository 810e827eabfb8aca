import { randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { conflict, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from './actor.js';
import { effectiveCard } from './card-status.js';
import type { RegistryContext } from './context.js';
import { type RelationInput, relationFromInput } from './insurance-relations.js';
import type { Card, Holder, InsuranceRelation } from './model.js';
import * as q from './queries.js';
import type { Queryable } from '../store/store.js';
import { holderSubject } from './subjects.js';
import { ETHNICITY_RE, REGION_RE, checkIdNumber, invalid } from './validation.js';

export interface HolderInput {
  personNo?: string;
  idNumber: string;
  name: string;
  gender?: '1' | '2';
  ethnicity: string;
  birthDate?: string;
  birthplace?: string;
  region: string;
}

export interface HolderRecord {
  holder: Holder;
  relations: InsuranceRelation[];
  cards: Card[];
}

export function newPersonNo(): string {
  return `P${randomBytes(8).toString('hex').toUpperCase()}`;
}

/** Builds a complete holder record from input, or throws naming the bad field. */
export function holderFromInput(input: HolderInput, now: Date): Holder {
  const { birthDate, gender } = checkIdNumber(input.idNumber, input.birthDate, input.gender, now);
  const name = input.name.trim();
  if (name.length === 0 || Array.from(name).length > 30 || /[\p{Cc}]/u.test(name)) {
    throw invalid('name', '1 to 30 characters without control characters expected');
  }
  if (!ETHNICITY_RE.test(input.ethnicity)) throw invalid('ethnicity', 'a two-digit GB 3304 code expected');
  if (!REGION_RE.test(input.region)) throw invalid('region', 'a six-digit region code expected');
  const birthplace = input.birthplace ?? input.idNumber.slice(0, 6);
  if (!REGION_RE.test(birthplace)) throw invalid('birthplace', 'a six-digit region code expected');
  const at = now.toISOString();
  return {
    personNo: input.personNo ?? newPersonNo(),
    idNumber: input.idNumber,
    name,
    gender,
    ethnicity: input.ethnicity,
    birthDate,
    birthplace,
    region: input.region,
    createdAt: at,
    updatedAt: at,
  };
}

/** Registers a holder with the relations the holder starts with, in one transaction with its history and audit. */
export async function createHolder(
  ctx: RegistryContext,
  input: HolderInput,
  relations: RelationInput[],
  actor: Actor,
): Promise<Holder> {
  const now = ctx.clock();
  const holder = holderFromInput(input, now);
  const rels = relations.map((r) => relationFromInput(holder.personNo, r));
  return ctx.store.transaction(async (tx) => {
    if (await q.getHolderByIdNumber(tx, holder.idNumber)) {
      throw conflict('HOLDER_EXISTS', 'a holder with this ID number is registered already');
    }
    if (await q.getHolder(tx, holder.personNo)) {
      throw conflict('HOLDER_EXISTS', 'a holder with this person number is registered already');
    }
    await q.insertHolders(tx, [holder]);
    await q.insertRelations(tx, rels);
    const at = now.toISOString();
    await q.recordHistory(tx, {
      entity: 'holder',
      entityId: holder.personNo,
      action: 'create',
      changes: { ...holder },
      actor: actorLabel(actor),
      at,
    });
    for (const r of rels) {
      await q.recordHistory(tx, {
        entity: 'relation',
        entityId: r.relationId,
        action: 'create',
        changes: { ...r },
        actor: actorLabel(actor),
        at,
      });
    }
    await appendAudit(tx, ctx.clock, {
      ...auditActor(actor),
      action: 'holder.create',
      subject: holderSubject(holder),
      result: 'ok',
      details: { relations: rels.map((r) => r.schemeCode) },
    });
    return holder;
  });
}

export async function updateHolder(
  ctx: RegistryContext,
  personNo: string,
  patch: Partial<Pick<Holder, 'name' | 'ethnicity' | 'region' | 'birthplace'>>,
  actor: Actor,
): Promise<Holder> {
  return ctx.store.transaction((tx) => updateHolderIn(tx, ctx.clock, personNo, patch, actor));
}

/** `updateHolder` in the caller's transaction (a data quality correction commits with its resolution). */
export async function updateHolderIn(
  tx: Queryable,
  clock: Clock,
  personNo: string,
  patch: Partial<Pick<Holder, 'name' | 'ethnicity' | 'region' | 'birthplace'>>,
  actor: Actor,
): Promise<Holder> {
  const now = clock();
  const before = await q.getHolder(tx, personNo);
  if (!before) throw notFound('holder', { personNo });
  const after = holderFromInput({ ...before, ...patch }, now);
  const updated: Holder = {
    ...after,
    personNo,
    createdAt: before.createdAt,
    updatedAt: now.toISOString(),
  };
  const changes = q.diff({ ...before, updatedAt: '' }, { ...updated, updatedAt: '' });
  if (Object.keys(changes).length === 0) return before;
  await q.updateHolderRow(tx, updated);
  await q.recordHistory(tx, {
    entity: 'holder',
    entityId: personNo,
    action: 'update',
    changes,
    actor: actorLabel(actor),
    at: updated.updatedAt,
  });
  await appendAudit(tx, clock, {
    ...auditActor(actor),
    action: 'holder.update',
    subject: holderSubject(updated),
    result: 'ok',
    details: { fields: Object.keys(changes) },
  });
  return updated;
}

/** The holder with relations and cards, each card as it stands now. */
export async function holderRecord(ctx: RegistryContext, personNo: string): Promise<HolderRecord> {
  const holder = await q.getHolder(ctx.store, personNo);
  if (!holder) throw notFound('holder', { personNo });
  const now = ctx.clock();
  return {
    holder,
    relations: await q.listRelations(ctx.store, personNo),
    cards: (await q.listCardsOfHolder(ctx.store, personNo)).map((c) => effectiveCard(c, now)),
  };
}
