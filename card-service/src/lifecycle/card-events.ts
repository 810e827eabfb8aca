import { appendAudit } from '../audit/audit-log.js';
import { DAY_MS } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type IssuedCard, issueCardInTx } from '../issuance/issue-card.js';
import { type Actor, SYSTEM, actorKind, actorLabel, auditActor } from '../registry/actor.js';
import type { RegistryContext } from '../registry/context.js';
import { effectiveCard } from '../registry/card-status.js';
import type { Card } from '../registry/model.js';
import * as q from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import type { Queryable } from '../store/store.js';
import { type CardEvent, nextState } from './transitions.js';

/**
 * What a card event does, once `transitions.ts` has said it is legal: the flags and periods it
 * sets, the replacement card it issues, and the history and audit it leaves.
 */

export interface CardEventResult {
  card: Card;
  replacement?: IssuedCard;
}

export interface CardEventOptions {
  reason?: string;
  /** The replacement card's generation (`replace`); defaults to the replaced card's. */
  generation?: 2 | 3;
}

/**
 * Applies one event (an operator's or the system's) in its own transaction; a terminal's goes
 * through `terminal-card-events.ts`. A refused event is audited as well, in a transaction of its
 * own, because the refused one rolled back.
 */
export async function applyCardEvent(
  ctx: RegistryContext,
  cardNumber: string,
  event: CardEvent,
  actor: Actor,
  options: CardEventOptions = {},
): Promise<CardEventResult> {
  try {
    return await ctx.store.transaction((tx) =>
      applyCardEventInTx(ctx, tx, cardNumber, event, actor, options),
    );
  } catch (e) {
    if (e instanceof DomainError && e.code !== 'NOT_FOUND') {
      await ctx.store.transaction((tx) =>
        appendAudit(tx, ctx.clock, {
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
}

/** Applies one event inside `tx`; `replace` also issues the new card and moves the relations to it. */
export async function applyCardEventInTx(
  ctx: RegistryContext,
  tx: Queryable,
  cardNumber: string,
  event: CardEvent,
  actor: Actor,
  options: CardEventOptions = {},
): Promise<CardEventResult> {
  const now = ctx.clock();
  const at = now.toISOString();
  const stored = await q.getCard(tx, cardNumber, true);
  if (!stored) throw notFound('card', { cardNumber });
  let card = stored;
  const lifted = effectiveCard(stored, now);
  if (lifted !== stored) {
    // The loss lifted itself before this event: write that down first, as the system's act.
    nextState(stored, 'liftTemporaryLoss', 'system');
    await persistCardChange(ctx, tx, stored, lifted, 'liftTemporaryLoss', SYSTEM, {});
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
      now.getTime() + ctx.lifecycle.temporaryLossDays * DAY_MS,
    ).toISOString();
  } else if (to !== 'temporarily_lost') after.temporaryLossUntil = null;
  let replacement: IssuedCard | undefined;
  if (event === 'replace') {
    const holder = await q.getHolder(tx, card.personNo);
    if (!holder) throw notFound('holder', { personNo: card.personNo });
    const generation = options.generation ?? (card.specVersion === '3.00' ? 3 : 2);
    replacement = await issueCardInTx(
      ctx,
      tx,
      holder,
      { generation, issuingRegion: card.issuingRegion, cardType: card.cardType, temporary: card.temporary },
      card.cardNumber,
      actor,
    );
    after.replacedBy = replacement.card.cardNumber;
    await q.moveRelations(tx, card.cardNumber, replacement.card.cardNumber);
  }
  await persistCardChange(
    ctx,
    tx,
    card,
    after,
    event,
    actor,
    options.reason ? { reason: options.reason } : {},
  );
  return replacement ? { card: after, replacement } : { card: after };
}

async function persistCardChange(
  ctx: RegistryContext,
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
    at: ctx.clock().toISOString(),
  });
  await appendAudit(tx, ctx.clock, {
    ...auditActor(actor),
    action: `card.${event}`,
    subject: cardSubject(after.cardNumber),
    result: 'ok',
    details: { from: before.status, to: after.status, ...extra },
  });
}
