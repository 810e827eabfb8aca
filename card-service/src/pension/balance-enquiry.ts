import { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { HsmClient } from '../hsm/hsm-client.js';
import { type Actor, auditActor } from '../registry/actor.js';
import { lockIdempotencyKey, storeResult, storedResult } from '../registry/idempotency.js';
import { getCard } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import type { Store } from '../store/store.js';
import {
  type BankTerminal,
  type PinCheck,
  Refusal,
  arcHex,
  bankPinVerified,
  cryptogramData,
  failuresAfter,
  lockedCounter,
  pinOutcome,
  presentedAccount,
  requestKey,
  spendCounter,
  stateChanged,
  verifyCryptogram,
} from './card-present.js';
import { statementOf } from './statement.js';

type Answer = pension.BalanceEnquiryAnswer;
const ARC = pension.AUTHORISATION_RESPONSE_CODES;
const BANK_PIN_TRIES = pension.BANK_PIN_TRIES;
const ENQUIRY = {
  amount: 0,
  type: 0x31,
  name: 'balance enquiry',
  dataInvalid: 'BALANCE_ENQUIRY_DATA_INVALID',
  stateChanged: 'BALANCE_ENQUIRY_STATE_CHANGED',
} as const;

/** Approve, or the decline's code: the bank PIN verified and not blocked, the card active. */
function decide(pin: PinCheck, cardStatus: string): string {
  if (failuresAfter(pin) >= BANK_PIN_TRIES) return ARC.pinTriesExceeded;
  if (!pin.verified) return ARC.incorrectPin;
  if (cardStatus !== 'active') return ARC.restrictedCard;
  return ARC.approved;
}

/**
 * A balance enquiry at a bank counter, on the bank PIN as a withdrawal is: the HSM checks the PIN
 * block and the enquiry's ARQC (and makes the ARPC) outside the transaction; the transaction
 * refuses a counter the card used before, spends this one and counts the PIN try, and answers
 * the statement when approved. A wrong PIN counts only once the ARQC proved the card present.
 */
export async function enquireBalance(
  store: Store,
  clock: Clock,
  hsm: HsmClient,
  terminal: BankTerminal,
  idempotencyKey: string,
  body: pension.BalanceEnquiryBody,
): Promise<Answer> {
  const key = requestKey(terminal, idempotencyKey, 'balance-enquiry', body);
  const earlier = await storedResult<Answer>(store, key);
  if (earlier) return { ...earlier, replayed: true };
  const cryptogram = cryptogramData(body, ENQUIRY);
  const { debit, card } = await presentedAccount(
    store,
    body,
    'the debit account has no bank PIN; the issuer sets one first',
  );
  const atc = Number.parseInt(body.atc, 16);
  const actor: Actor = { kind: 'terminal', id: terminal.terminalId, type: 'bank', region: terminal.region };
  const pinVerified = await bankPinVerified(store, clock, hsm, actor, body, debit, 'pension.balance_enquiry');
  const firstArc = decide({ verified: pinVerified, failures: Number(debit.pin_failures) }, card.status);
  const verified = await verifyCryptogram(hsm, body, cryptogram, arcHex(firstArc));
  const result = await store.transaction(async (tx): Promise<Answer | Refusal> => {
    await lockIdempotencyKey(tx, key);
    const stored = await storedResult<Answer>(tx, key);
    if (stored) return { ...stored, replayed: true };
    const audit = (result: 'ok' | 'refused', details: Record<string, unknown>) =>
      appendAudit(tx, clock, {
        ...auditActor(actor),
        action: 'pension.balance_enquiry',
        subject: cardSubject(card.cardNumber),
        result,
        details: { atc, ...details },
      });
    const locked = await lockedCounter(tx, body.pan, atc, verified, audit);
    if (locked instanceof Refusal) return locked;
    const { account } = locked;
    const current = (await getCard(tx, card.cardNumber)) ?? card;
    const pin: PinCheck = { verified: pinVerified, failures: Number(account?.pin_failures ?? 0) };
    if (!account || account.pin_pvv !== debit.pin_pvv || decide(pin, current.status) !== firstArc) {
      // A new PIN was set, or the card's status changed, while the HSM checked the cryptogram.
      return stateChanged(ENQUIRY);
    }
    const pinFailures = failuresAfter(pin);
    await spendCounter(tx, body.pan, atc, pinFailures);
    const approved = firstArc === ARC.approved;
    const pinTriesLeft = Math.max(0, BANK_PIN_TRIES - pinFailures);
    await audit('ok', {
      arc: firstArc,
      pin: pinOutcome(pin),
      pinTriesLeft,
    });
    const answer: Answer = {
      approved,
      arc: firstArc,
      arpc: locked.arpc,
      pinTriesLeft,
      statement: approved ? await statementOf(tx, card) : null,
    };
    await storeResult(tx, key, 200, answer, clock().toISOString());
    return answer;
  });
  if (result instanceof Refusal) throw result.error;
  return result;
}
