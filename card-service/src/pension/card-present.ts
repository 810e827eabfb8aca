import { createHash } from 'node:crypto';
import { pension } from '@sscard/registry-protocol';
import { canonicalJson } from '../audit/canonical-json.js';
import { DomainError, notFound } from '../errors.js';
import type { HsmClient } from '../hsm/hsm-client.js';
import type { IdempotencyKey } from '../registry/idempotency.js';
import type { Card } from '../registry/model.js';
import { getCard } from '../registry/queries.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';

/*
 * The checks every card-present request at a bank counter makes the same way, a withdrawal and a
 * balance enquiry alike: the debit account and its card, the ARQC at the HSM, the transaction
 * counter spent once under the account's lock, and the PIN tries.
 */

const BANK_PIN_TRIES = pension.BANK_PIN_TRIES;

export interface DebitAccountRow {
  pan: string;
  psn: string;
  card_number: string;
  last_atc: number | string | null;
  registered_at: string;
  pin_pvv: string | null;
  pin_pvki: number | string | null;
  pin_failures: number | string;
}

export interface BankTerminal {
  terminalId: string;
  region: string;
}

/** A refusal that must still commit (an audit entry, an alert raised): thrown after the commit. */
export class Refusal {
  constructor(readonly error: DomainError) {}
}

export const debitAccountUnknown = () =>
  new DomainError('DEBIT_ACCOUNT_UNKNOWN', 'no card is registered for this PAN and PSN', 404);

/** The idempotency key of a terminal's request; the CDOL1 data hashed in one case. */
export function requestKey(
  terminal: BankTerminal,
  idempotencyKey: string,
  op: string,
  body: { cdol1: string },
): IdempotencyKey {
  return {
    terminalId: terminal.terminalId,
    key: idempotencyKey,
    requestHash: createHash('sha256')
      .update(canonicalJson({ op, ...body, cdol1: body.cdol1.toUpperCase() }))
      .digest('hex'),
  };
}

/**
 * The debit account the card presented and its card, read before the HSM is asked; an account
 * without a bank PIN is refused with `pinNotSet`, saying what the issuer must do first.
 */
export async function presentedAccount(
  store: Store,
  body: { pan: string; psn: string },
  pinNotSet: string,
): Promise<{ debit: DebitAccountRow; card: Card }> {
  const debit = await store.get<DebitAccountRow>('SELECT * FROM debit_accounts WHERE pan = ? AND psn = ?', [
    body.pan,
    body.psn,
  ]);
  if (!debit) throw debitAccountUnknown();
  if (debit.pin_pvv === null) throw new DomainError('BANK_PIN_NOT_SET', pinNotSet, 409);
  const card = await getCard(store, debit.card_number);
  if (!card) throw notFound('card');
  return { debit, card };
}

/** The HSM verifies the request's ARQC and makes the ARPC for the answer's code. */
export function verifyCryptogram(
  hsm: HsmClient,
  body: { pan: string; psn: string; atc: string; arqc: string },
  cryptogram: { data: Buffer; algorithm: '3des' | 'sm4' },
  arcHexCode: string,
): ReturnType<HsmClient['verifyArqc']> {
  return hsm.verifyArqc({
    algorithm: cryptogram.algorithm,
    pan: body.pan,
    psn: body.psn,
    atc: body.atc,
    data: cryptogram.data.toString('hex'),
    arqc: body.arqc,
    arc: arcHexCode,
  });
}

type Audit = (result: 'refused', details: Record<string, unknown>) => Promise<unknown>;
type ArqcCheck = Awaited<ReturnType<HsmClient['verifyArqc']>>;

/**
 * Inside the transaction: refuses (audited) a cryptogram that did not verify and a counter the card
 * used before, and otherwise answers the debit account read under its lock and the ARPC.
 */
export async function lockedCounter(
  tx: Queryable,
  pan: string,
  atc: number,
  arqc: ArqcCheck,
  audit: Audit,
): Promise<{ account: DebitAccountRow | undefined; arpc: string } | Refusal> {
  if (!arqc.verified) {
    await audit('refused', { reason: 'ARQC_INVALID' });
    return new Refusal(new DomainError('ARQC_INVALID', 'the card’s cryptogram did not verify', 403));
  }
  const account = await tx.get<DebitAccountRow>(
    `SELECT * FROM debit_accounts WHERE pan = ?${forUpdate(tx.dialect)}`,
    [pan],
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
  return { account, arpc: arqc.arpc };
}

/** The decision taken under the locks differs from the one the HSM signed: the terminal sends again. */
export const stateChanged = () =>
  new Refusal(
    new DomainError(
      'WITHDRAWAL_STATE_CHANGED',
      'the account changed while the cryptogram was checked; send again',
      409,
    ),
  );

/** The HSM's answer on the bank PIN, and the wrong tries in a row before it. */
export interface PinCheck {
  verified: boolean;
  failures: number;
}

/** What a PIN check does to the wrong tries: a blocked PIN stays blocked, a right one clears them. */
export function failuresAfter(pin: PinCheck): number {
  if (pin.failures >= BANK_PIN_TRIES) return pin.failures;
  return pin.verified ? 0 : pin.failures + 1;
}

/** The PIN check as the audit entry names it. */
export const pinOutcome = (pin: PinCheck) =>
  pin.failures >= BANK_PIN_TRIES ? 'blocked' : pin.verified ? 'verified' : 'wrong';

/** Spends the card's transaction counter and keeps the wrong PIN tries. */
export async function spendCounter(
  q: Queryable,
  pan: string,
  atc: number,
  pinFailures: number,
): Promise<void> {
  await q.run('UPDATE debit_accounts SET last_atc = ?, pin_failures = ? WHERE pan = ?', [
    atc,
    pinFailures,
    pan,
  ]);
}
