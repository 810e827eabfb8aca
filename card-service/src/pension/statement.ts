import type { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { CardPresence } from '../card-auth/card-presence.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { getCard } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { account, balanceOf } from '../settlement/ledger.js';
import type { Store } from '../store/store.js';
import { getEntitlement, readPayments } from './entitlements.js';

type Statement = {
  cardNumber: string;
  cardAccountBalance: number;
  pension: {
    monthlyAmount: number;
    status: pension.PensionStatus;
    paidThrough: string | null;
    certifiedUntil: string;
    frozen: boolean;
  } | null;
  payments: pension.PensionPayment[];
};

/** A refusal that must still commit: the refused proof has spent its challenge. */
class Refusal {
  constructor(readonly error: DomainError) {}
}

/**
 * The statement of the card in the terminal's reader: only when the card answers the terminal's
 * challenge after its PIN was verified, so that a terminal shows a holder their own account and
 * nobody else's. The HSM is asked before the transaction that spends the challenge.
 */
export async function cardStatement(
  store: Store,
  clock: Clock,
  presence: CardPresence,
  terminalId: string,
  body: { cardNumber: string; proof: { challengeId: string; cryptogram: string } },
): Promise<Statement> {
  const card = await getCard(store, body.cardNumber);
  const verdict = card
    ? await presence.judge(terminalId, { ...body.proof, cardIdCode: card.cardIdCode }, 'payment')
    : 'invalid';
  const result = await store.transaction(async (tx): Promise<Statement | Refusal> => {
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
    const e = await getEntitlement(tx, card.personNo);
    const payments = await readPayments(tx, card.personNo, 24);
    await appendAudit(tx, clock, {
      terminalId,
      action: 'pension.statement',
      subject: cardSubject(card.cardNumber),
      result: 'ok',
    });
    return {
      cardNumber: card.cardNumber,
      cardAccountBalance: await balanceOf(tx, account.card(card.personNo)),
      pension: e
        ? {
            monthlyAmount: e.monthlyAmount,
            status: e.status,
            paidThrough: e.paidThrough,
            certifiedUntil: e.certifiedUntil,
            frozen: e.frozenAt !== null,
          }
        : null,
      payments,
    };
  });
  if (result instanceof Refusal) throw result.error;
  return result;
}
