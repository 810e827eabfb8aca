import { randomBytes, randomInt } from 'node:crypto';
import { cardNumberCheckChar } from '@sscard/card-core';
import { appendAudit } from '../audit/audit-log.js';
import { addDays, addYears, chinaDate } from '../clock.js';
import { conflict, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { FINAL_STATES } from '../registry/card-status.js';
import type { RegistryContext } from '../registry/context.js';
import type { Card, CardAlgorithm, Holder } from '../registry/model.js';
import * as q from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { REGION_RE, invalid } from '../registry/validation.js';
import type { Queryable } from '../store/store.js';
import { type CardDocument, cardDocumentFor } from './card-document.js';

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

const GENERATIONS: Record<2 | 3, { specVersion: '2.00' | '3.00'; algorithm: CardAlgorithm }> = {
  2: { specVersion: '2.00', algorithm: '3des' },
  3: { specVersion: '3.00', algorithm: 'sm4' },
};

/** The registered application provider id of China's social security cards (DESIGN.md §6). */
const RID = 'D156000005';

/**
 * Issues a card to a holder. A holder has one regular card at a time: a second one is a
 * replacement (a card event). The first regular card carries the relations no card carries yet.
 */
export async function issueCard(
  ctx: RegistryContext,
  personNo: string,
  input: IssueCardInput,
  actor: Actor,
): Promise<IssuedCard> {
  return ctx.store.transaction(async (tx) => {
    const holder = await q.getHolder(tx, personNo);
    if (!holder) throw notFound('holder', { personNo });
    if (!input.temporary) {
      const open = (await q.listCardsOfHolder(tx, personNo)).find(
        (c) => !c.temporary && !FINAL_STATES.includes(c.status),
      );
      if (open) {
        throw conflict('CARD_EXISTS', 'the holder has a card that is not replaced or cancelled: replace it', {
          state: open.status,
        });
      }
    }
    const result = await issueCardInTx(ctx, tx, holder, input, null, actor);
    if (!input.temporary) {
      await tx.run(
        'UPDATE insurance_relations SET card_number = ? WHERE person_no = ? AND card_number IS NULL',
        [result.card.cardNumber, personNo],
      );
    }
    return result;
  });
}

/** Writes a new card with its history and audit inside `tx`; `replaces` names the card it replaces. */
export async function issueCardInTx(
  ctx: RegistryContext,
  tx: Queryable,
  holder: Holder,
  input: IssueCardInput,
  replaces: string | null,
  actor: Actor,
): Promise<IssuedCard> {
  const now = ctx.clock();
  const gen = GENERATIONS[input.generation];
  if (!gen) throw invalid('generation', '2 or 3 expected');
  const issuingRegion = input.issuingRegion ?? holder.region;
  if (!REGION_RE.test(issuingRegion)) throw invalid('issuingRegion', 'a six-digit region code expected');
  const cardType = input.cardType ?? '1';
  if (!/^[\x20-\x7e]$/.test(cardType)) throw invalid('cardType', 'one printable ASCII character expected');
  const issueDate = chinaDate(now);
  const expiryDate = input.temporary
    ? addDays(issueDate, ctx.lifecycle.temporaryCardDays)
    : addYears(issueDate, ctx.lifecycle.cardValidityYears);
  const cardNumber = await freshCardNumber(tx);
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
  await appendAudit(tx, ctx.clock, {
    ...auditActor(actor),
    action: input.temporary ? 'card.issueTemporary' : 'card.issue',
    subject: cardSubject(cardNumber),
    result: 'ok',
    details: { personNo: holder.personNo, specVersion: card.specVersion, replaces },
  });
  const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
  return { card, document: cardDocumentFor(holder, card, pin) };
}

async function freshCardNumber(tx: Queryable): Promise<string> {
  for (;;) {
    const letter = String.fromCharCode(65 + randomInt(0, 26));
    const first8 = letter + String(randomInt(0, 10_000_000)).padStart(7, '0');
    const candidate = first8 + cardNumberCheckChar(first8);
    if (!(await q.getCard(tx, candidate))) return candidate;
  }
}
