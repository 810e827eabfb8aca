import type { Clock } from './clock.js';
import type { ServiceConfig } from './config.js';
import { notFound } from './errors.js';
import { type IssueCardInput, type IssuedCard, issueCard } from './issuance/issue-card.js';
import { type CardEventOptions, type CardEventResult, applyCardEvent } from './lifecycle/card-events.js';
import {
  type TerminalCardEventRequest,
  type TerminalEventGuard,
  applyTerminalCardEvent,
} from './lifecycle/terminal-card-events.js';
import type { CardEvent } from './lifecycle/transitions.js';
import { effectiveCard } from './registry/card-status.js';
import type { Store } from './store/store.js';
import type { Actor } from './registry/actor.js';
import type { RegistryContext } from './registry/context.js';
import {
  type HolderInput,
  type HolderRecord,
  createHolder,
  holderRecord,
  updateHolder,
} from './registry/holders.js';
import { type RelationInput, addRelation, setRelationStatus } from './registry/insurance-relations.js';
import type { Card, HistoryEntry, Holder, InsuranceRelation, RelationStatus } from './registry/model.js';
import * as q from './registry/queries.js';

export type CardChangeListener = (card: Card) => void;

/**
 * The registry as the API sees it: holders (`holders.ts`), insurance relations
 * (`insurance-relations.ts`), issuance (`issuance/issue-card.ts`) and card events
 * (`lifecycle/card-events.ts`) over one store and clock. Each operation is one transaction holding
 * the change, its history rows and its audit entry, so a crash never leaves a change without its
 * record; a committed change to a card is announced to the listeners.
 */
export class Registry implements RegistryContext {
  private readonly listeners: CardChangeListener[] = [];

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly lifecycle: ServiceConfig['lifecycle'],
  ) {}

  /** Called after a committed change to a card (the identity cache drops its entries). */
  onCardChange(listener: CardChangeListener): void {
    this.listeners.push(listener);
  }

  private notify(cards: Card[]): void {
    for (const c of cards) for (const l of this.listeners) l(c);
  }

  createHolder(input: HolderInput, relations: RelationInput[], actor: Actor): Promise<Holder> {
    return createHolder(this, input, relations, actor);
  }

  updateHolder(
    personNo: string,
    patch: Partial<Pick<Holder, 'name' | 'ethnicity' | 'region' | 'birthplace'>>,
    actor: Actor,
  ): Promise<Holder> {
    return updateHolder(this, personNo, patch, actor);
  }

  holderRecord(personNo: string): Promise<HolderRecord> {
    return holderRecord(this, personNo);
  }

  addRelation(personNo: string, input: RelationInput, actor: Actor): Promise<InsuranceRelation> {
    return addRelation(this, personNo, input, actor);
  }

  setRelationStatus(
    relationId: string,
    status: RelationStatus,
    date: string | null,
    actor: Actor,
  ): Promise<InsuranceRelation> {
    return setRelationStatus(this, relationId, status, date, actor);
  }

  history(entity: HistoryEntry['entity'], entityId: string): Promise<HistoryEntry[]> {
    return q.listHistory(this.store, entity, entityId);
  }

  /** The card as it stands now (a lapsed temporary loss has lifted itself). */
  async card(cardNumber: string): Promise<Card> {
    const card = await q.getCard(this.store, cardNumber);
    if (!card) throw notFound('card', { cardNumber });
    return effectiveCard(card, this.clock());
  }

  async issueCard(personNo: string, input: IssueCardInput, actor: Actor): Promise<IssuedCard> {
    const issued = await issueCard(this, personNo, input, actor);
    this.notify([issued.card]);
    return issued;
  }

  async applyCardEvent(
    cardNumber: string,
    event: CardEvent,
    actor: Actor,
    options: CardEventOptions = {},
  ): Promise<CardEventResult> {
    const result = await applyCardEvent(this, cardNumber, event, actor, options);
    this.notify([result.card, ...(result.replacement ? [result.replacement.card] : [])]);
    return result;
  }

  /** A terminal's event: idempotent, and within the terminal's authority (`lifecycle/terminal-card-events.ts`). */
  async applyTerminalCardEvent(
    request: TerminalCardEventRequest,
    guard: TerminalEventGuard,
  ): Promise<CardEventResult & { replayed?: boolean }> {
    const result = await applyTerminalCardEvent(this, guard, request);
    if (!result.replayed) this.notify([result.card]);
    return result;
  }
}
