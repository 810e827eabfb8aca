import { createHash } from 'node:crypto';
import { arqcInputData, iadAlgorithm } from '@sscard/card-core';
import { pension } from '@sscard/registry-protocol';
import { canonicalJson } from '../audit/canonical-json.js';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { HsmCommandError, type HsmClient } from '../hsm/hsm-client.js';
import { type Actor, auditActor } from '../registry/actor.js';
import type { IdempotencyKey } from '../registry/idempotency.js';
import type { Card } from '../registry/model.js';
import { getCard } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';

/*
 * The checks every card-present request at a bank counter makes the same way, a withdrawal and a
 * balance enquiry alike: the debit account and its card, the cryptogram's data from the CDOL1,
 * the bank PIN and the ARQC at the HSM, the transaction counter spent once under the account's
 * lock, and the PIN tries.
 */

const BANK_PIN_TRIES = pension.BANK_PIN_TRIES;

/** What a card-present request carries: a balance enquiry's body, a withdrawal's without its amount. */
type CardPresentBody = pension.BalanceEnquiryBody;

/** An authorisation response code as the HSM takes it for the ARPC: its two characters' bytes in hex. */
export const arcHex = (arc: string) => Buffer.from(arc, 'latin1').toString('hex').toUpperCase();

/** The PIN verification key index of the PVVs the service has the HSM make. */
export const PVKI = 1;

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

/**
 * What a card-present request is, as its cryptogram data must say it (the amount authorised and
 * the transaction type, 9C), and the codes of the refusals that name it: a bank's integrator reads
 * an enquiry's refusal as the enquiry's, not a withdrawal's.
 */
export interface CardPresentTransaction {
  amount: number;
  /** 01 cash withdrawal, 31 balance enquiry. */
  type: 0x01 | 0x31;
  name: string;
  /** The cryptogram data is not this transaction's, or is malformed. */
  dataInvalid: 'WITHDRAWAL_DATA_INVALID' | 'BALANCE_ENQUIRY_DATA_INVALID';
  /** The decision taken under the locks differs from the one the HSM signed. */
  stateChanged: 'WITHDRAWAL_STATE_CHANGED' | 'BALANCE_ENQUIRY_STATE_CHANGED';
}

/** The decision taken under the locks differs from the one the HSM signed: the terminal sends again. */
export const stateChanged = (transaction: Pick<CardPresentTransaction, 'stateChanged'>) =>
  new Refusal(
    new DomainError(
      transaction.stateChanged,
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

/** The data a PBOC application cryptogram covers, from the terminal's CDOL1 data and the card's AIP, ATC and IAD. */
export function acInputData(cdol1: Buffer, aip: Buffer, atc: Buffer, iad: Buffer): Buffer {
  const field = (from: number, length: number) => cdol1.subarray(from, from + length);
  return arqcInputData({
    amountAuthorised: field(0, 6),
    amountOther: field(6, 6),
    terminalCountryCode: field(12, 2),
    tvr: field(14, 5),
    transactionCurrencyCode: field(19, 2),
    transactionDate: field(21, 3),
    transactionType: field(24, 1),
    unpredictableNumber: field(25, 4),
    aip,
    atc,
    iad,
  });
}

/** The ARQC's input from the request, checked against what the request is for; the algorithm from 9F10. */
export function cryptogramData(
  body: Pick<CardPresentBody, 'cdol1' | 'aip' | 'atc' | 'iad'>,
  expected: CardPresentTransaction,
): { data: Buffer; algorithm: '3des' | 'sm4' } {
  const cdol1 = Buffer.from(body.cdol1, 'hex');
  const field = (from: number, length: number) => cdol1.subarray(from, from + length);
  const amountAuthorised = field(0, 6);
  const currency = field(19, 2);
  const transactionType = field(24, 1);
  const invalid = (why: string) => new DomainError(expected.dataInvalid, why, 400);
  if (
    !/^\d{12}$/.test(amountAuthorised.toString('hex')) ||
    Number(amountAuthorised.toString('hex')) !== expected.amount
  )
    throw invalid('the amount authorised (9F02) is not the amount asked');
  if (currency.toString('hex') !== '0156') throw invalid('the transaction currency (5F2A) is not CNY');
  if (transactionType[0] !== expected.type) {
    const code = expected.type.toString(16).padStart(2, '0');
    throw invalid(`the transaction type (9C) is not a ${expected.name} (${code})`);
  }
  const iad = Buffer.from(body.iad, 'hex');
  try {
    const data = acInputData(cdol1, Buffer.from(body.aip, 'hex'), Buffer.from(body.atc, 'hex'), iad);
    return { data, algorithm: iadAlgorithm(iad) };
  } catch (e) {
    throw invalid((e as Error).message);
  }
}

/**
 * The bank PIN in the request's PIN block checked by the HSM against the account's PIN
 * verification value: the PIN is in clear only inside the PIN pad and the HSM. A block that is
 * not one for this account under the terminal's PIN key is refused (audited) without counting a try.
 */
export async function bankPinVerified(
  store: Store,
  clock: Clock,
  hsm: HsmClient,
  actor: Actor,
  body: Pick<CardPresentBody, 'pan' | 'pinFormat' | 'pinBlock'> & { amount?: number },
  account: DebitAccountRow,
  /** The audit action of the request, for the refusal's entry. */
  action: string,
): Promise<boolean> {
  try {
    const answer = await hsm.verifyPin({
      terminalId: actor.id,
      format: body.pinFormat,
      pinBlock: body.pinBlock,
      pan: body.pan,
      pvki: Number(account.pin_pvki ?? PVKI),
      pvv: account.pin_pvv!,
    });
    return answer.verified;
  } catch (e) {
    if (e instanceof HsmCommandError && e.code === 'PIN_BLOCK_INVALID') {
      await store.transaction((tx) =>
        appendAudit(tx, clock, {
          ...auditActor(actor),
          action,
          subject: cardSubject(account.card_number),
          result: 'refused',
          details: {
            ...(body.amount === undefined ? {} : { amount: body.amount }),
            reason: 'PIN_BLOCK_INVALID',
          },
        }),
      );
    }
    throw e;
  }
}
