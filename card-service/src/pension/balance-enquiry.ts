import { createHash } from 'node:crypto';
import { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import type { HsmClient } from '../hsm/hsm-client.js';
import { type Actor, auditActor } from '../registry/actor.js';
import { lockIdempotencyKey, storeResult, storedResult } from '../registry/idempotency.js';
import { getCard } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { type Store, forUpdate } from '../store/store.js';
import { statementOf } from './statement.js';
import {
  type BankTerminal,
  type DebitAccountRow,
  type PinCheck,
  arcHex,
  bankPinVerified,
  cryptogramData,
  failuresAfter,
} from './withdrawal.js';

type Answer = pension.BalanceEnquiryAnswer;
const ARC = pension.AUTHORISATION_RESPONSE_CODES;
const BANK_PIN_TRIES = pension.BANK_PIN_TRIES;
const ENQUIRY = { amount: 0, type: 0x31, name: 'balance enquiry' } as const;

/** A refusal that must still commit (its audit entry): thrown after the commit. */
class Refusal {
  constructor(readonly error: DomainError) {}
}

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
  const key = {
    terminalId: terminal.terminalId,
    key: idempotencyKey,
    requestHash: createHash('sha256')
      .update(canonicalJson({ op: 'balance-enquiry', ...body, cdol1: body.cdol1.toUpperCase() }))
      .digest('hex'),
  };
  const earlier = await storedResult<Answer>(store, key);
  if (earlier) return { ...earlier, replayed: true };
  const { data, algorithm } = cryptogramData(body, ENQUIRY);
  const debit = await store.get<DebitAccountRow>('SELECT * FROM debit_accounts WHERE pan = ? AND psn = ?', [
    body.pan,
    body.psn,
  ]);
  if (!debit)
    throw new DomainError('DEBIT_ACCOUNT_UNKNOWN', 'no card is registered for this PAN and PSN', 404);
  if (debit.pin_pvv === null) {
    throw new DomainError(
      'BANK_PIN_NOT_SET',
      'the debit account has no bank PIN; the issuer sets one first',
      409,
    );
  }
  const card = await getCard(store, debit.card_number);
  if (!card) throw notFound('card');
  const atc = Number.parseInt(body.atc, 16);
  const actor: Actor = { kind: 'terminal', id: terminal.terminalId, type: 'bank', region: terminal.region };
  const pinVerified = await bankPinVerified(store, clock, hsm, actor, body, debit, 'pension.balance_enquiry');
  const firstArc = decide({ verified: pinVerified, failures: Number(debit.pin_failures) }, card.status);
  const verified = await hsm.verifyArqc({
    algorithm,
    pan: body.pan,
    psn: body.psn,
    atc: body.atc,
    data: data.toString('hex'),
    arqc: body.arqc,
    arc: arcHex(firstArc),
  });
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
    if (!verified.verified) {
      await audit('refused', { reason: 'ARQC_INVALID' });
      return new Refusal(new DomainError('ARQC_INVALID', 'the card’s cryptogram did not verify', 403));
    }
    const account = await tx.get<DebitAccountRow>(
      `SELECT * FROM debit_accounts WHERE pan = ?${forUpdate(tx.dialect)}`,
      [body.pan],
    );
    const lastAtc =
      account?.last_atc === null || account?.last_atc === undefined ? -1 : Number(account.last_atc);
    if (atc <= lastAtc) {
      await audit('refused', { reason: 'ATC_REPLAYED', lastAtc });
      return new Refusal(
        new DomainError('ATC_REPLAYED', 'the card has used this transaction counter before', 409, {
          atc,
          lastAtc,
        }),
      );
    }
    const current = (await getCard(tx, card.cardNumber)) ?? card;
    const pin: PinCheck = { verified: pinVerified, failures: Number(account?.pin_failures ?? 0) };
    if (!account || account.pin_pvv !== debit.pin_pvv || decide(pin, current.status) !== firstArc) {
      // A new PIN was set, or the card's status changed, while the HSM checked the cryptogram.
      return new Refusal(
        new DomainError(
          'WITHDRAWAL_STATE_CHANGED',
          'the account changed while the cryptogram was checked; send again',
          409,
        ),
      );
    }
    const pinFailures = failuresAfter(pin);
    await tx.run('UPDATE debit_accounts SET last_atc = ?, pin_failures = ? WHERE pan = ?', [
      atc,
      pinFailures,
      body.pan,
    ]);
    const approved = firstArc === ARC.approved;
    const pinTriesLeft = Math.max(0, BANK_PIN_TRIES - pinFailures);
    await audit('ok', {
      arc: firstArc,
      pin: pin.failures >= BANK_PIN_TRIES ? 'blocked' : pin.verified ? 'verified' : 'wrong',
      pinTriesLeft,
    });
    const answer: Answer = {
      approved,
      arc: firstArc,
      arpc: verified.arpc,
      pinTriesLeft,
      statement: approved ? await statementOf(tx, card) : null,
    };
    await storeResult(tx, key, 200, answer, clock().toISOString());
    return answer;
  });
  if (result instanceof Refusal) throw result.error;
  return result;
}
