import { maskCardIdCode } from '@sscard/card-core';
import type { AuditWriter } from '../audit/audit-writer.js';
import { notFound } from '../errors.js';
import type { Card } from '../registry/model.js';
import { getCardByIdCode } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import type { Store } from '../store/store.js';
import type { HsmClient } from '../hsm/hsm-client.js';

export interface ExternalAuthInput {
  cardIdCode: string;
  /** Hex: the card's 8-byte GET CHALLENGE value. */
  challenge: string;
}

export interface ExternalAuthAnswer {
  /** Hex: what the terminal sends in EXTERNAL AUTHENTICATE (one cipher block). */
  cryptogram: string;
  algorithm: Card['algorithm'];
}

/**
 * EXTERNAL AUTHENTICATE for terminals without a PSAM (DESIGN.md §3, the HSM read of a gen 3 card):
 * the card in the terminal's reader gives a challenge, the HSM process computes the cryptogram with
 * the card's RKSSSE key, and the card then releases its holder records. Only for cards the
 * registry issued, under the algorithm it issued them with; every answer is audited, because it
 * opens a citizen's personal data to the terminal that asked.
 */
export class ExternalAuthentication {
  constructor(
    private readonly store: Store,
    private readonly hsm: HsmClient,
    private readonly audit: AuditWriter,
  ) {}

  async answer(terminalId: string, input: ExternalAuthInput): Promise<ExternalAuthAnswer> {
    const cardIdCode = input.cardIdCode.toUpperCase();
    const card = await getCardByIdCode(this.store, cardIdCode);
    const answer = card
      ? await this.hsm.externalAuth({ algorithm: card.algorithm, cardIdCode, challenge: input.challenge })
      : undefined;
    await this.audit.append({
      terminalId,
      action: 'card.externalAuthenticate',
      subject: card ? cardSubject(card.cardNumber) : `card id ${maskCardIdCode(cardIdCode)}`,
      result: card ? 'ok' : 'CARD_UNKNOWN',
    });
    if (!card || !answer) throw notFound('card', { reason: 'CARD_UNKNOWN' });
    return { cryptogram: answer.cryptogram, algorithm: card.algorithm };
  }
}
