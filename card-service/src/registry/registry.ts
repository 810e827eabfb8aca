import { randomBytes, randomInt } from 'node:crypto';
import { maskCardNumber, maskIdNumber } from '@sscard/card-core';
import { appendAudit } from '../audit/audit-log.js';
import { type Clock, DAY_MS, addDays, addYears, chinaDate } from '../clock.js';
import type { ServiceConfig } from '../config.js';
import { DomainError, conflict, notFound } from '../errors.js';
import { type CardDocument, cardDocumentFor } from '../issuance/card-document.js';
import { cardNumberCheckChar } from '@sscard/card-core';
import { type CardEvent, FINAL_STATES, effectiveCard, nextState } from '../lifecycle/transitions.js';
import type { Queryable, Store } from '../store/store.js';
import { type Actor, actorKind, actorLabel, auditActor, SYSTEM } from './actor.js';
import type {
  Card,
  CardAlgorithm,
  HistoryEntry,
  Holder,
  InsuranceRelation,
  RelationStatus,
} from './model.js';
import { type IdempotencyKey, storeResult, storedResult } from './idempotency.js';
import * as q from './queries.js';
import { ETHNICITY_RE, REGION_RE, checkIdNumber, invalid, isCalendarDate } from './validation.js';

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

export interface RelationInput {
  schemeCode: string;
  insuredRegion: string;
  status?: RelationStatus;
  startDate: string;
  pauseDate?: string | null;
}

export interface IssueCardInput {
  generation: 2 | 3;
  /** Defaults to the holder's region. */
  issuingRegion?: string;
  cardType?: string;
  /** A temporary card with the configured short validity. */
  temporary?: boolean;
}

export interface IssuedCard {
  card: Card;
  /** The personalisation document, with the initial PIN: handed to the personalisation bureau, never stored. */
  document: CardDocument;
}

export interface CardEventResult {
  card: Card;
  replacement?: IssuedCard;
}

export type CardChangeListener = (card: Card) => void;

const GENERATIONS: Record<2 | 3, { specVersion: '2.00' | '3.00'; algorithm: CardAlgorithm }> = {
  2: { specVersion: '2.00', algorithm: '3des' },
  3: { specVersion: '3.00', algorithm: 'sm4' },
};

const RID = 'D156000005';

export const cardSubject = (cardNumber: string): string => `card ${maskCardNumber(cardNumber)}`;
export const holderSubject = (h: Pick<Holder, 'idNumber' | 'personNo'>): string =>
  `holder ${h.personNo} ${maskIdNumber(h.idNumber)}`;

export function newPersonNo(): string {
  return `P${randomBytes(8).toString('hex').toUpperCase()}`;
}

/**
 * The registry's domain operations: holders, insurance relations, cards and their lifecycle. Each
 * operation is one transaction holding the change, its history rows and its audit entry, so a
 * crash never leaves a change without its record.
 */
export class Registry {
  private readonly listeners: CardChangeListener[] = [];

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    private readonly lifecycle: ServiceConfig['lifecycle'],
  ) {}

  /** Called after a committed change to a card (the identity cache drops its entries). */
  onCardChange(listener: CardChangeListener): void {
    this.listeners.push(listener);
  }

  private notify(cards: Card[]): void {
    for (const c of cards) for (const l of this.listeners) l(c);
  }

  /** Builds a complete holder record from input, or throws naming the bad field. */
  holderFromInput(input: HolderInput, now: Date): Holder {
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

  /** `relationId`: the bulk import's own deterministic id; otherwise a random one. */
  relationFromInput(personNo: string, input: RelationInput, relationId?: string): InsuranceRelation {
    if (!/^[0-9]{3}$/.test(input.schemeCode))
      throw invalid('schemeCode', 'a three-digit scheme code expected');
    if (!REGION_RE.test(input.insuredRegion))
      throw invalid('insuredRegion', 'a six-digit region code expected');
    if (!isCalendarDate(input.startDate)) throw invalid('startDate', 'a date YYYY-MM-DD expected');
    const status = input.status ?? 'active';
    const pauseDate = input.pauseDate ?? null;
    if (pauseDate !== null && !isCalendarDate(pauseDate))
      throw invalid('pauseDate', 'a date YYYY-MM-DD expected');
    if (status === 'paused' && pauseDate === null)
      throw invalid('pauseDate', 'required for a paused relation');
    if (pauseDate !== null && pauseDate < input.startDate)
      throw invalid('pauseDate', 'before the start date');
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

  async createHolder(input: HolderInput, relations: RelationInput[], actor: Actor): Promise<Holder> {
    const now = this.clock();
    const holder = this.holderFromInput(input, now);
    const rels = relations.map((r) => this.relationFromInput(holder.personNo, r));
    return this.store.transaction(async (tx) => {
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
      await appendAudit(tx, this.clock, {
        ...auditActor(actor),
        action: 'holder.create',
        subject: holderSubject(holder),
        result: 'ok',
        details: { relations: rels.map((r) => r.schemeCode) },
      });
      return holder;
    });
  }

  async updateHolder(
    personNo: string,
    patch: Partial<Pick<Holder, 'name' | 'ethnicity' | 'region' | 'birthplace'>>,
    actor: Actor,
  ): Promise<Holder> {
    const now = this.clock();
    return this.store.transaction(async (tx) => {
      const before = await q.getHolder(tx, personNo);
      if (!before) throw notFound('holder', { personNo });
      const after = this.holderFromInput({ ...before, ...patch }, now);
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
      await appendAudit(tx, this.clock, {
        ...auditActor(actor),
        action: 'holder.update',
        subject: holderSubject(updated),
        result: 'ok',
        details: { fields: Object.keys(changes) },
      });
      return updated;
    });
  }

  async addRelation(personNo: string, input: RelationInput, actor: Actor): Promise<InsuranceRelation> {
    return this.store.transaction(async (tx) => {
      const holder = await q.getHolder(tx, personNo);
      if (!holder) throw notFound('holder', { personNo });
      const relation = this.relationFromInput(personNo, input);
      const existing = await q.listRelations(tx, personNo);
      if (
        existing.some(
          (r) => r.schemeCode === relation.schemeCode && r.insuredRegion === relation.insuredRegion,
        )
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
        at: this.clock().toISOString(),
      });
      await appendAudit(tx, this.clock, {
        ...auditActor(actor),
        action: 'relation.create',
        subject: holderSubject(holder),
        result: 'ok',
        details: { schemeCode: relation.schemeCode, insuredRegion: relation.insuredRegion },
      });
      return relation;
    });
  }

  async setRelationStatus(
    relationId: string,
    status: RelationStatus,
    date: string | null,
    actor: Actor,
  ): Promise<InsuranceRelation> {
    if (status === 'paused' && (date === null || !isCalendarDate(date))) {
      throw invalid('pauseDate', 'a date YYYY-MM-DD expected');
    }
    return this.store.transaction(async (tx) => {
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
        at: this.clock().toISOString(),
      });
      await appendAudit(tx, this.clock, {
        ...auditActor(actor),
        action: `relation.${status}`,
        subject: `holder ${before.personNo}`,
        result: 'ok',
        details: { relationId, schemeCode: before.schemeCode },
      });
      return after;
    });
  }

  async holderRecord(
    personNo: string,
  ): Promise<{ holder: Holder; relations: InsuranceRelation[]; cards: Card[] }> {
    const holder = await q.getHolder(this.store, personNo);
    if (!holder) throw notFound('holder', { personNo });
    const now = this.clock();
    return {
      holder,
      relations: await q.listRelations(this.store, personNo),
      cards: (await q.listCardsOfHolder(this.store, personNo)).map((c) => effectiveCard(c, now)),
    };
  }

  async history(entity: HistoryEntry['entity'], entityId: string): Promise<HistoryEntry[]> {
    return q.listHistory(this.store, entity, entityId);
  }

  /** The card as it stands now (a lapsed temporary loss has lifted itself). */
  async card(cardNumber: string): Promise<Card> {
    const card = await q.getCard(this.store, cardNumber);
    if (!card) throw notFound('card', { cardNumber });
    return effectiveCard(card, this.clock());
  }

  async issueCard(personNo: string, input: IssueCardInput, actor: Actor): Promise<IssuedCard> {
    const issued = await this.store.transaction(async (tx) => {
      const holder = await q.getHolder(tx, personNo);
      if (!holder) throw notFound('holder', { personNo });
      if (!input.temporary) {
        const open = (await q.listCardsOfHolder(tx, personNo)).find(
          (c) => !c.temporary && !FINAL_STATES.includes(c.status),
        );
        if (open) {
          throw conflict(
            'CARD_EXISTS',
            'the holder has a card that is not replaced or cancelled: replace it',
            {
              state: open.status,
            },
          );
        }
      }
      const result = await this.issueInTx(tx, holder, input, null, actor);
      if (!input.temporary) {
        // The first card carries the holder's relations that no card carries yet.
        await tx.run(
          'UPDATE insurance_relations SET card_number = ? WHERE person_no = ? AND card_number IS NULL',
          [result.card.cardNumber, personNo],
        );
      }
      return result;
    });
    this.notify([issued.card]);
    return issued;
  }

  private async issueInTx(
    tx: Queryable,
    holder: Holder,
    input: IssueCardInput,
    replaces: string | null,
    actor: Actor,
  ): Promise<IssuedCard> {
    const now = this.clock();
    const gen = GENERATIONS[input.generation];
    if (!gen) throw invalid('generation', '2 or 3 expected');
    const issuingRegion = input.issuingRegion ?? holder.region;
    if (!REGION_RE.test(issuingRegion)) throw invalid('issuingRegion', 'a six-digit region code expected');
    const cardType = input.cardType ?? '1';
    if (!/^[\x20-\x7e]$/.test(cardType)) throw invalid('cardType', 'one printable ASCII character expected');
    const issueDate = chinaDate(now);
    const expiryDate = input.temporary
      ? addDays(issueDate, this.lifecycle.temporaryCardDays)
      : addYears(issueDate, this.lifecycle.cardValidityYears);
    const cardNumber = await this.freshCardNumber(tx);
    const at = now.toISOString();
    const card: Card = {
      cardNumber,
      cardIdCode: `${issuingRegion}${RID}${randomBytes(8).toString('hex').toUpperCase()}`,
      personNo: holder.personNo,
      specVersion: gen.specVersion,
      cardType,
      algorithm: gen.algorithm,
      issuingRegion,
      initOrg: `SSC${issuingRegion}`.slice(0, 12),
      issueDate,
      expiryDate,
      status: 'issued',
      socialSecurityActive: false,
      financialActive: false,
      temporary: input.temporary === true,
      temporaryLossUntil: null,
      replaces,
      replacedBy: null,
      statusChangedAt: at,
      createdAt: at,
    };
    await q.insertCard(tx, card);
    await q.recordHistory(tx, {
      entity: 'card',
      entityId: cardNumber,
      action: input.temporary ? 'issueTemporary' : 'issue',
      changes: { status: [null, 'issued'], replaces, personNo: holder.personNo },
      actor: actorLabel(actor),
      at,
    });
    await appendAudit(tx, this.clock, {
      ...auditActor(actor),
      action: input.temporary ? 'card.issueTemporary' : 'card.issue',
      subject: cardSubject(cardNumber),
      result: 'ok',
      details: { personNo: holder.personNo, specVersion: card.specVersion, replaces },
    });
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    return { card, document: cardDocumentFor(holder, card, pin) };
  }

  private async freshCardNumber(tx: Queryable): Promise<string> {
    for (;;) {
      const letter = String.fromCharCode(65 + randomInt(0, 26));
      const first8 = letter + String(randomInt(0, 10_000_000)).padStart(7, '0');
      const candidate = first8 + cardNumberCheckChar(first8);
      if (!(await q.getCard(tx, candidate))) return candidate;
    }
  }

  /** Applies one lifecycle event; `replace` also issues the new card and moves the relations to it. */
  async applyCardEvent(
    cardNumber: string,
    event: CardEvent,
    actor: Actor,
    options: { reason?: string; generation?: 2 | 3; idempotency?: IdempotencyKey } = {},
  ): Promise<CardEventResult & { replayed?: boolean }> {
    let result: CardEventResult & { replayed?: boolean };
    try {
      result = await this.store.transaction(async (tx) => {
        const key = options.idempotency;
        if (key) {
          const stored = await storedResult<{ card: Card }>(tx, key);
          if (stored) return { card: stored.card, replayed: true };
        }
        const applied = await this.applyInTx(tx, cardNumber, event, actor, options);
        if (key) await storeResult(tx, key, 200, { card: applied.card }, this.clock().toISOString());
        return applied;
      });
    } catch (e) {
      // A refused event is audited too, in its own transaction: the refused one rolled back.
      if (e instanceof DomainError && e.code !== 'NOT_FOUND') {
        await this.store.transaction((tx) =>
          appendAudit(tx, this.clock, {
            ...auditActor(actor),
            action: `card.${event}`,
            subject: cardSubject(cardNumber),
            result: e.code,
            details: { ...(e.details ?? {}) },
          }),
        );
      }
      throw e;
    }
    if (!result.replayed)
      this.notify([result.card, ...(result.replacement ? [result.replacement.card] : [])]);
    return result;
  }

  async applyInTx(
    tx: Queryable,
    cardNumber: string,
    event: CardEvent,
    actor: Actor,
    options: { reason?: string; generation?: 2 | 3 } = {},
  ): Promise<CardEventResult> {
    const now = this.clock();
    const at = now.toISOString();
    const stored = await q.getCard(tx, cardNumber, true);
    if (!stored) throw notFound('card', { cardNumber });
    let card = stored;
    const lifted = effectiveCard(stored, now);
    if (lifted !== stored) {
      // The loss lifted itself before this event: write that down first, as the system's act.
      nextState(stored, 'liftTemporaryLoss', 'system');
      await this.persistChange(tx, stored, lifted, 'liftTemporaryLoss', SYSTEM, {});
      card = lifted;
    }
    const to = nextState(card, event, actorKind(actor));
    const after: Card = {
      ...card,
      status: to,
      statusChangedAt: to !== card.status ? at : card.statusChangedAt,
    };
    if (event === 'activateSocialSecurity') after.socialSecurityActive = true;
    if (event === 'activateFinancial') after.financialActive = true;
    if (event === 'reportTemporaryLoss') {
      after.temporaryLossUntil = new Date(
        now.getTime() + this.lifecycle.temporaryLossDays * DAY_MS,
      ).toISOString();
    } else if (to !== 'temporarily_lost') after.temporaryLossUntil = null;
    let replacement: IssuedCard | undefined;
    if (event === 'replace') {
      const holder = await q.getHolder(tx, card.personNo);
      if (!holder) throw notFound('holder', { personNo: card.personNo });
      const generation = options.generation ?? (card.specVersion === '3.00' ? 3 : 2);
      replacement = await this.issueInTx(
        tx,
        holder,
        { generation, issuingRegion: card.issuingRegion, cardType: card.cardType, temporary: card.temporary },
        card.cardNumber,
        actor,
      );
      after.replacedBy = replacement.card.cardNumber;
      await q.moveRelations(tx, card.cardNumber, replacement.card.cardNumber);
    }
    await this.persistChange(tx, card, after, event, actor, options.reason ? { reason: options.reason } : {});
    return replacement ? { card: after, replacement } : { card: after };
  }

  private async persistChange(
    tx: Queryable,
    before: Card,
    after: Card,
    event: CardEvent,
    actor: Actor,
    extra: Record<string, unknown>,
  ): Promise<void> {
    await q.updateCardRow(tx, after);
    const changes = q.diff(before, after);
    await q.recordHistory(tx, {
      entity: 'card',
      entityId: after.cardNumber,
      action: event,
      changes: { ...changes, ...extra },
      actor: actorLabel(actor),
      at: this.clock().toISOString(),
    });
    await appendAudit(tx, this.clock, {
      ...auditActor(actor),
      action: `card.${event}`,
      subject: cardSubject(after.cardNumber),
      result: 'ok',
      details: { from: before.status, to: after.status, ...extra },
    });
  }
}
