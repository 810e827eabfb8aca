import type { CardPresence } from '../card-auth/card-presence.js';
import { DomainError } from '../errors.js';
import { getCard } from '../registry/queries.js';
import type { Card } from '../registry/model.js';
import type { Queryable, Store } from '../store/store.js';

/** A refusal that must still commit: the refused proof has spent its challenge. */
class Refusal {
  constructor(readonly error: DomainError) {}
}

/**
 * Reads what a terminal shows the holder of the card in its reader: only when the card answers
 * the terminal's challenge after its PIN was verified (a payment proof), so that a terminal shows
 * a holder their own accounts and nobody else's. The HSM is asked before the transaction that
 * spends the challenge; `read` runs in that transaction.
 */
export async function readForProvenCard<T>(
  store: Store,
  presence: CardPresence,
  terminalId: string,
  body: { cardNumber: string; proof: { challengeId: string; cryptogram: string } },
  read: (tx: Queryable, card: Card) => Promise<T>,
): Promise<T> {
  const card = await getCard(store, body.cardNumber);
  const verdict = card
    ? await presence.judge(terminalId, { ...body.proof, cardIdCode: card.cardIdCode }, 'payment')
    : 'invalid';
  const result = await store.transaction(async (tx): Promise<{ value: T } | Refusal> => {
    const proof = await presence.verifyIn(
      tx,
      terminalId,
      { ...body.proof, cardIdCode: card?.cardIdCode ?? '' },
      verdict,
    );
    if (!proof.verified || !card) {
      return new Refusal(
        proof.verified === false && proof.reason === 'PIN_NOT_VERIFIED'
          ? new DomainError('PIN_NOT_VERIFIED', 'the card answered without a verified PIN', 403)
          : new DomainError('CARD_PRESENCE_FAILED', 'the card-present proof was refused', 403, {
              reason: proof.verified ? 'CARD_UNKNOWN' : proof.reason,
            }),
      );
    }
    return { value: await read(tx, card) };
  });
  if (result instanceof Refusal) throw result.error;
  return result.value;
}
