import { ValidationError } from '@sscard/card-core';
import { fields, terminalCardEventResultSchema } from '@sscard/registry-protocol';
import { RegistryError } from './errors.js';
import type { JournalEntry } from './journal.js';
import { type Outbox, resultOf } from './outbox.js';
import type { CardPresentProof } from './remote-card-auth.js';

/**
 * Lifecycle requests a terminal may make (card-service's lifecycle table): for a kiosk, the
 * citizen's temporary loss report. Each carries the card's answer to a fresh service challenge
 * (the card-present proof: a terminal acts only for the card in its reader) and goes through the
 * outbox journal, so a report the citizen made is not lost to a crash or a network cut, and is
 * never applied twice. The proof is single use and lives for the service's `challengeTtlSeconds`:
 * a report first delivered after that is refused (`CARD_PRESENCE_FAILED`), while a retry of one
 * the service applied gets its stored answer.
 */

export interface TemporaryLossResult {
  cardNumber: string;
  status: string;
  /** When the loss lifts itself unless the holder reports a formal loss first. */
  temporaryLossUntil: string | null;
  statusChangedAt: string;
  /** The journal key the request was sent with: what an operator looks up in the service's audit. */
  idempotencyKey: string;
}

export class CardLifecycleRequests {
  constructor(private readonly outbox: Outbox) {}

  /**
   * Reports the card temporarily lost. Throws RegistryError: REFUSED with the service's code
   * (e.g. ILLEGAL_TRANSITION when the card is not active), TERMINAL_REVOKED, or
   * REGISTRY_UNREACHABLE with `outcomeUnknown` — then the report stays in the journal and is
   * sent again, with the same key, until the service answers. `proof`: the card's answer to a
   * challenge the service issued for it moments ago.
   */
  async reportTemporaryLoss(
    cardNumber: string,
    proof: CardPresentProof,
    reason?: string,
  ): Promise<TemporaryLossResult> {
    if (!fields.cardNumber.safeParse(cardNumber).success) {
      throw new ValidationError('FIELD_INVALID', 'a card number is 9 digits or capitals', {
        field: 'cardNumber',
      });
    }
    const entry = await this.outbox.submit({
      operation: 'reportTemporaryLoss',
      method: 'POST',
      path: `/v1/cards/${cardNumber}/events`,
      body: { event: 'reportTemporaryLoss', proof, ...(reason ? { reason } : {}) },
    });
    return temporaryLossResult(entry);
  }
}

/** The outcome of an answered temporary-loss entry (also for entries settled by a resend pass). */
export function temporaryLossResult(entry: JournalEntry): TemporaryLossResult {
  const parsed = terminalCardEventResultSchema.safeParse(resultOf(entry));
  if (!parsed.success) {
    throw new RegistryError(
      'REGISTRY_PROTOCOL',
      `${entry.operation}: the answer is not a card event result`,
      {
        idempotencyKey: entry.idempotencyKey,
      },
    );
  }
  const { card } = parsed.data;
  return {
    cardNumber: card.cardNumber,
    status: card.status,
    temporaryLossUntil: card.temporaryLossUntil,
    statusChangedAt: card.statusChangedAt,
    idempotencyKey: entry.idempotencyKey,
  };
}
