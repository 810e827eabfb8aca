import { createHash } from 'node:crypto';
import { appendAudit } from '../audit/audit-log.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { DomainError } from '../errors.js';
import type { CardPresence, CryptogramVerdict } from '../card-auth/card-presence.js';
import { type Actor, auditActor } from '../registry/actor.js';
import { RiskChecks } from '../risk/risk-checks.js';
import type { RegistryContext } from '../registry/context.js';
import {
  type IdempotencyKey,
  lockIdempotencyKey,
  storeResult,
  storedResult,
} from '../registry/idempotency.js';
import type { Card } from '../registry/model.js';
import * as q from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import type { Queryable } from '../store/store.js';
import { type CardEventResult, applyCardEventInTx } from './card-events.js';
import {
  type DailyCounter,
  type TerminalAuthorityConfig,
  countDailyUse,
  lockDailyUse,
  regionMayAct,
  secondsToNextDay,
  usageDay,
} from './terminal-authority.js';
import type { CardEvent, TerminalType } from './transitions.js';

/**
 * A lifecycle event asked for by a terminal (a kiosk's lost-card report, a bank's activation).
 * In one transaction, in this order:
 *
 * 1. the idempotency key is locked and looked up: a retry of an applied event gets the stored
 *    result, whatever has happened since (its challenge is spent, the day's cap is reached; it is
 *    also looked up before the HSM is asked about the proof, which happens before the transaction);
 * 2. the terminal's day: past its cap of unknown card numbers or of events, it is refused;
 * 3. a card-present proof must come with the request, whatever the event (a loss reported without
 *    the card goes to an operator);
 * 4. the card must exist (an unknown number is audited and counted: probing), be of a region
 *    the terminal may act for, and the proof must be this card's answer to this terminal's
 *    challenge;
 * 5. the event itself (the lifecycle table decides what the terminal's type may do).
 *
 * Refusals in 2–4 are committed with what they leave (the audit entry, the day's count, the
 * spent challenge) and then thrown; a refusal by the event itself rolls back and is recorded in
 * a transaction of its own.
 */

export interface TerminalCardEventRequest {
  terminal: { terminalId: string; type: TerminalType; region: string };
  cardNumber: string;
  event: CardEvent;
  reason?: string | undefined;
  proof?: { challengeId: string; cryptogram: string } | undefined;
  idempotencyKey: string;
}

export interface TerminalEventGuard {
  presence: CardPresence;
  authority: TerminalAuthorityConfig;
  /** The risk rules a card-present event goes through (their defaults when absent). */
  risk?: RiskChecks;
}

const CARD_NUMBER_RE = /^[0-9A-Z]{9}$/;

type Outcome = { result: CardEventResult & { replayed?: boolean } } | { refusal: DomainError };

/** The request's fingerprint for its idempotency key: the same key with another request is refused. */
export function terminalEventHash(
  r: Pick<TerminalCardEventRequest, 'cardNumber' | 'event' | 'reason'>,
): string {
  return createHash('sha256')
    .update(canonicalJson({ cardNumber: r.cardNumber, event: r.event, reason: r.reason ?? null }))
    .digest('hex');
}

export async function applyTerminalCardEvent(
  ctx: RegistryContext,
  guard: TerminalEventGuard,
  request: TerminalCardEventRequest,
): Promise<CardEventResult & { replayed?: boolean }> {
  const { terminal, cardNumber, event } = request;
  const actor: Actor = {
    kind: 'terminal',
    id: terminal.terminalId,
    type: terminal.type,
    region: terminal.region,
  };
  const key: IdempotencyKey = {
    terminalId: terminal.terminalId,
    key: request.idempotencyKey,
    requestHash: terminalEventHash(request),
  };
  // Not a card number at all: nothing to look up, so nothing learnt and nothing to audit.
  if (!CARD_NUMBER_RE.test(cardNumber)) {
    throw new DomainError('VALIDATION_FAILED', 'a card number is 9 digits or capital letters', 400, {
      issues: [{ path: 'cardNumber', message: 'a card number is 9 digits or capital letters' }],
    });
  }
  // A retry of an applied event is answered from its stored result before anything else is
  // asked, the HSM included: its challenge is spent by now, and the HSM may be down.
  const earlier = await storedResult<{ card: Card }>(ctx.store, key);
  if (earlier) return { card: earlier.card, replayed: true };
  const cryptogramVerdict = await judgeProof(ctx, guard, request);
  const day = usageDay(ctx.clock());
  let outcome: Outcome;
  try {
    outcome = await ctx.store.transaction(async (tx): Promise<Outcome> => {
      await lockIdempotencyKey(tx, key);
      const stored = await storedResult<{ card: Card }>(tx, key);
      if (stored) return { result: { card: stored.card, replayed: true } };
      const refusal = await admit(ctx, guard, tx, request, actor, day, cryptogramVerdict);
      if (refusal) return { refusal };
      const applied = await applyCardEventInTx(ctx, tx, cardNumber, event, actor, {
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
      });
      if (request.proof) {
        await (guard.risk ?? new RiskChecks(ctx.clock)).onCardPresent(tx, {
          personNo: applied.card.personNo,
          cardStatus: applied.card.status,
          cardNumber: applied.card.cardNumber,
          kind: 'card_event',
          terminalId: terminal.terminalId,
          region: terminal.region,
          at: ctx.clock().toISOString(),
        });
      }
      await countDailyUse(tx, terminal.terminalId, day, 'events');
      await storeResult(tx, key, 200, { card: applied.card }, ctx.clock().toISOString());
      return { result: applied };
    });
  } catch (e) {
    if (e instanceof DomainError) {
      // The event refused itself (the lifecycle table): its transaction rolled back, so the
      // refusal, its place in the day's count and the spent challenge are recorded afresh.
      await ctx.store.transaction(async (tx) => {
        if (request.proof) await guard.presence.spend(tx, terminal.terminalId, request.proof.challengeId);
        await countDailyUse(tx, terminal.terminalId, day, 'events');
        await auditRefusal(ctx, tx, actor, request, e);
      });
    }
    throw e;
  }
  if ('refusal' in outcome) throw outcome.refusal;
  return outcome.result;
}

/**
 * The HSM's verdict on the proof, asked before the transaction (a slow HSM must not hold the
 * database's write lock); false when there is no proof or no such card, which `admit` refuses.
 */
async function judgeProof(
  ctx: RegistryContext,
  guard: TerminalEventGuard,
  request: TerminalCardEventRequest,
): Promise<CryptogramVerdict> {
  if (!request.proof) return 'invalid';
  const card = await q.getCard(ctx.store, request.cardNumber);
  if (!card) return 'invalid';
  return guard.presence.judge(
    request.terminal.terminalId,
    { ...request.proof, cardIdCode: card.cardIdCode },
    'presence',
  );
}

/** Steps 2–4: undefined when the terminal may go on, else the refusal, already recorded in `tx`. */
async function admit(
  ctx: RegistryContext,
  guard: TerminalEventGuard,
  tx: Queryable,
  request: TerminalCardEventRequest,
  actor: Actor,
  day: string,
  cryptogramVerdict: CryptogramVerdict,
): Promise<DomainError | undefined> {
  const { terminal, cardNumber, event, proof } = request;
  const limits = guard.authority;
  const use = await lockDailyUse(tx, terminal.terminalId, day);
  const refuse = async (error: DomainError, counter?: DailyCounter): Promise<DomainError> => {
    if (counter) await countDailyUse(tx, terminal.terminalId, day, counter);
    await auditRefusal(ctx, tx, actor, request, error);
    return error;
  };
  // Past a cap, only the day's first refusal is audited: the cap also bounds the audit log.
  const capped = async (error: DomainError, flag: 'probing_refused' | 'events_refused', logged: boolean) => {
    if (logged) return error;
    return refuse(error, flag);
  };
  if (use.unknownCards >= limits.unknownCardsPerDay) {
    return capped(
      new DomainError(
        'CARD_PROBING_LIMITED',
        'this terminal asked for too many unknown card numbers today',
        429,
        {
          limit: limits.unknownCardsPerDay,
          retryAfterSeconds: secondsToNextDay(ctx.clock()),
        },
      ),
      'probing_refused',
      use.probingRefused,
    );
  }
  if (use.events >= limits.eventsPerDay) {
    return capped(
      new DomainError(
        'TERMINAL_DAILY_LIMIT',
        'this terminal has made its lifecycle requests for today',
        429,
        {
          limit: limits.eventsPerDay,
          retryAfterSeconds: secondsToNextDay(ctx.clock()),
        },
      ),
      'events_refused',
      use.eventsRefused,
    );
  }
  // Every event a terminal asks for, a temporary loss included, needs the card in its reader:
  // without it a terminal could block any citizen's card by its number. A card reported lost
  // without the card is an operator's to take (the operator route needs no proof).
  if (!proof) {
    return refuse(
      new DomainError('CARD_PRESENCE_REQUIRED', `${event} needs a card-present proof`, 403),
      'events',
    );
  }
  const card = await q.getCard(tx, cardNumber, true);
  if (!card) {
    return refuse(
      new DomainError('NOT_FOUND', 'card not found', 404, { reason: 'CARD_UNKNOWN' }),
      'unknown_cards',
    );
  }
  if (!regionMayAct(terminal.region, card.issuingRegion, limits.regionGrants)) {
    return refuse(
      new DomainError(
        'REGION_NOT_ALLOWED',
        `a terminal of region ${terminal.region} may not act on a card issued in region ${card.issuingRegion}`,
        403,
        { terminalRegion: terminal.region, cardRegion: card.issuingRegion },
      ),
      'events',
    );
  }
  const verdict = await guard.presence.verifyIn(
    tx,
    terminal.terminalId,
    { ...proof, cardIdCode: card.cardIdCode },
    cryptogramVerdict,
  );
  if (!verdict.verified) {
    return refuse(
      new DomainError('CARD_PRESENCE_FAILED', 'the card-present proof was refused', 403, {
        reason: verdict.reason,
      }),
      'events',
    );
  }
  return undefined;
}

function auditRefusal(
  ctx: RegistryContext,
  tx: Queryable,
  actor: Actor,
  request: TerminalCardEventRequest,
  error: DomainError,
): Promise<unknown> {
  const { retryAfterSeconds: _, ...details } = error.details ?? {};
  return appendAudit(tx, ctx.clock, {
    ...auditActor(actor),
    action: `card.${request.event}`,
    subject: cardSubject(request.cardNumber),
    result: error.code === 'NOT_FOUND' ? 'CARD_UNKNOWN' : error.code,
    details: { ...details, idempotencyKey: request.idempotencyKey },
  });
}
