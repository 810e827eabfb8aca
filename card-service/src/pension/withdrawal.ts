import { randomUUID } from 'node:crypto';
import { cvrFromIad, iadAlgorithm, maskPan } from '@sscard/card-core';
import { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, conflict, notFound } from '../errors.js';
import type { HsmClient } from '../hsm/hsm-client.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { lockIdempotencyKey, storeResult, storedResult } from '../registry/idempotency.js';
import { getCard } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { blocking, type RiskChecks } from '../risk/risk-checks.js';
import { account, balanceOf, post } from '../settlement/ledger.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';
import {
  type BankTerminal,
  type DebitAccountRow,
  PVKI,
  type PinCheck,
  Refusal,
  acInputData,
  arcHex,
  bankPinVerified,
  cryptogramData,
  debitAccountUnknown,
  failuresAfter,
  lockedCounter,
  pinOutcome,
  presentedAccount,
  requestKey,
  spendCounter,
  stateChanged,
  verifyCryptogram,
} from './card-present.js';
import { getEntitlement } from './entitlements.js';

type WithdrawalBody = pension.WithdrawalBody;
type Authorisation = pension.WithdrawalAnswer;
type Completion = pension.WithdrawalCompletionAnswer;

const ARC = pension.AUTHORISATION_RESPONSE_CODES;
const BANK_PIN_TRIES = pension.BANK_PIN_TRIES;
const WITHDRAWAL = {
  type: 0x01,
  name: 'cash withdrawal',
  dataInvalid: 'WITHDRAWAL_DATA_INVALID',
  stateChanged: 'WITHDRAWAL_STATE_CHANGED',
} as const;

function accountView(row: DebitAccountRow): pension.DebitAccount {
  return {
    cardNumber: row.card_number,
    pan: maskPan(row.pan),
    psn: row.psn,
    registeredAt: row.registered_at,
    pinSet: row.pin_pvv !== null,
    pinTriesLeft: Math.max(0, BANK_PIN_TRIES - Number(row.pin_failures)),
  };
}

/** The PIN verification value of a bank PIN the issuer passes on under the zone PIN key. */
async function zonePinPvv(hsm: HsmClient, pan: string, pinBlock: string): Promise<string> {
  return (await hsm.zoneMakePvv({ pinBlock, pan, pvki: PVKI })).pvv;
}

/**
 * Registers the bank's account of a card (its debit application's PAN and PSN), once, with the
 * bank PIN chosen at issuance when it comes along: only its verification value is kept.
 */
export async function registerDebitAccount(
  store: Store,
  clock: Clock,
  hsm: HsmClient,
  body: pension.DebitAccountBody,
  actor: Actor,
): Promise<pension.DebitAccount & { replayed: boolean }> {
  // The HSM works outside the transaction; a PIN block it refuses leaves nothing behind.
  const pvv = body.pinBlock ? await zonePinPvv(hsm, body.pan, body.pinBlock) : null;
  return store.transaction(async (tx) => {
    const card = await getCard(tx, body.cardNumber);
    if (!card) throw notFound('card', { cardNumber: body.cardNumber });
    const byPan = await tx.get<DebitAccountRow>(
      `SELECT * FROM debit_accounts WHERE pan = ?${forUpdate(tx.dialect)}`,
      [body.pan],
    );
    const byCard = await tx.get<DebitAccountRow>('SELECT * FROM debit_accounts WHERE card_number = ?', [
      body.cardNumber,
    ]);
    const at = clock().toISOString();
    if (byPan && byPan.card_number === body.cardNumber && byPan.psn === body.psn) {
      if (pvv === null || pvv === byPan.pin_pvv) return { ...accountView(byPan), replayed: true };
      if (byPan.pin_pvv !== null) {
        throw conflict(
          'DEBIT_ACCOUNT_CONFLICT',
          'the account has another bank PIN; a new one is set with /v1/pensions/debit-accounts/pin',
        );
      }
      // Registered before its PIN was chosen: the issuance's PIN now.
      const withPin = await setPin(tx, clock, byPan, pvv, actor, at);
      return { ...accountView(withPin), replayed: false };
    }
    if (byPan || byCard) {
      throw conflict('DEBIT_ACCOUNT_CONFLICT', 'the PAN or the card is registered with another', {
        ...(byPan ? { cardNumber: byPan.card_number } : {}),
        ...(byCard ? { pan: maskPan(byCard.pan) } : {}),
      });
    }
    await tx.run(
      `INSERT INTO debit_accounts (pan, psn, card_number, last_atc, registered_at, registered_by, pin_pvv, pin_pvki, pin_failures, pin_set_at)
       VALUES (?, ?, ?, NULL, ?, ?, ?, ?, 0, ?)`,
      [
        body.pan,
        body.psn,
        body.cardNumber,
        at,
        actorLabel(actor),
        pvv,
        pvv === null ? null : PVKI,
        pvv === null ? null : at,
      ],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'pension.debitAccount',
      subject: cardSubject(body.cardNumber),
      result: 'ok',
      details: { pan: maskPan(body.pan), psn: body.psn, pinSet: pvv !== null },
    });
    return {
      cardNumber: body.cardNumber,
      pan: maskPan(body.pan),
      psn: body.psn,
      registeredAt: at,
      pinSet: pvv !== null,
      pinTriesLeft: BANK_PIN_TRIES,
      replayed: false,
    };
  });
}

async function setPin(
  tx: Queryable,
  clock: Clock,
  row: DebitAccountRow,
  pvv: string,
  actor: Actor,
  at: string,
): Promise<DebitAccountRow> {
  await tx.run(
    'UPDATE debit_accounts SET pin_pvv = ?, pin_pvki = ?, pin_failures = 0, pin_set_at = ? WHERE pan = ?',
    [pvv, PVKI, at, row.pan],
  );
  await appendAudit(tx, clock, {
    ...auditActor(actor),
    action: 'pension.debitAccount.pin',
    subject: cardSubject(row.card_number),
    result: 'ok',
    details: {
      pan: maskPan(row.pan),
      replaced: row.pin_pvv !== null,
      wrongTriesCleared: Number(row.pin_failures),
    },
  });
  return { ...row, pin_pvv: pvv, pin_pvki: PVKI, pin_failures: 0 };
}

/** A new bank PIN for an account (forgotten, or blocked after the wrong tries): the tries start again. */
export async function setDebitAccountPin(
  store: Store,
  clock: Clock,
  hsm: HsmClient,
  body: pension.DebitAccountPinBody,
  actor: Actor,
): Promise<pension.DebitAccount> {
  const pvv = await zonePinPvv(hsm, body.pan, body.pinBlock);
  return store.transaction(async (tx) => {
    const row = await tx.get<DebitAccountRow>(
      `SELECT * FROM debit_accounts WHERE pan = ?${forUpdate(tx.dialect)}`,
      [body.pan],
    );
    if (!row) throw debitAccountUnknown();
    return accountView(await setPin(tx, clock, row, pvv, actor, clock().toISOString()));
  });
}

interface Decision {
  arc: string;
  reason: string | null;
}

/**
 * Approve, or the decline's code: the bank PIN verified and not blocked, the card active, the
 * pension use not frozen, the balance enough.
 */
async function decide(
  q: Queryable,
  personNo: string,
  cardStatus: string,
  amount: number,
  pin: PinCheck,
  lock: boolean,
): Promise<Decision & { balance: number }> {
  const balanceRow = await q.get<{ balance: number | string }>(
    `SELECT balance FROM card_accounts WHERE person_no = ?${lock ? forUpdate(q.dialect) : ''}`,
    [personNo],
  );
  const balance = Number(balanceRow?.balance ?? 0);
  if (failuresAfter(pin) >= BANK_PIN_TRIES) {
    return {
      arc: ARC.pinTriesExceeded,
      reason: pin.verified ? 'bank PIN blocked' : 'bank PIN wrong',
      balance,
    };
  }
  if (!pin.verified) return { arc: ARC.incorrectPin, reason: 'bank PIN wrong', balance };
  if (cardStatus !== 'active') return { arc: ARC.restrictedCard, reason: `card ${cardStatus}`, balance };
  const e = await getEntitlement(q, personNo, lock);
  if (e?.frozenAt) return { arc: ARC.restrictedCard, reason: 'pension use frozen', balance };
  if (balance < amount) return { arc: ARC.insufficientFunds, reason: 'balance insufficient', balance };
  return { arc: ARC.approved, reason: null, balance };
}

/**
 * The online authorisation of a withdrawal. The decision is taken from a first read, the HSM
 * checks the bank PIN, verifies the ARQC and makes the ARPC for it outside the transaction (a slow
 * HSM never holds the store's locks), and the transaction takes the decision again under its
 * locks: a different answer there refuses with nothing moved and the counter unspent, for the
 * terminal to send again. A wrong bank PIN counts a try only once the ARQC proved the card present,
 * and is answered as a decline ('55', '75' when the PIN is blocked) for the card to end with its AAC.
 */
export async function authoriseWithdrawal(
  store: Store,
  clock: Clock,
  hsm: HsmClient,
  risk: RiskChecks,
  terminal: BankTerminal,
  idempotencyKey: string,
  body: WithdrawalBody,
): Promise<Authorisation> {
  const key = requestKey(terminal, idempotencyKey, 'withdrawal', body);
  const earlier = await storedResult<Authorisation>(store, key);
  if (earlier) return { ...earlier, replayed: true };
  const cryptogram = cryptogramData(body, { ...WITHDRAWAL, amount: body.amount });
  const { debit, card } = await presentedAccount(
    store,
    body,
    'the debit account has no bank PIN; the issuer sets one before withdrawals',
  );
  const atc = Number.parseInt(body.atc, 16);
  const actor: Actor = { kind: 'terminal', id: terminal.terminalId, type: 'bank', region: terminal.region };
  const pinVerified = await bankPinVerified(store, clock, hsm, actor, body, debit, 'pension.withdrawal');
  const first = await decide(
    store,
    card.personNo,
    card.status,
    body.amount,
    { verified: pinVerified, failures: Number(debit.pin_failures) },
    false,
  );
  const verified = await verifyCryptogram(hsm, body, cryptogram, arcHex(first.arc));
  const result = await store.transaction(async (tx): Promise<Authorisation | Refusal> => {
    await lockIdempotencyKey(tx, key);
    const stored = await storedResult<Authorisation>(tx, key);
    if (stored) return { ...stored, replayed: true };
    const voided = await tx.get<{ status: string }>(
      'SELECT status FROM bank_withdrawals WHERE terminal_id = ? AND idempotency_key = ?',
      [terminal.terminalId, idempotencyKey],
    );
    if (voided)
      throw conflict('WITHDRAWAL_VOIDED', 'the terminal reversed this key before its authorisation arrived');
    const audit = (result: 'ok' | 'refused', details: Record<string, unknown>) =>
      appendAudit(tx, clock, {
        ...auditActor(actor),
        action: 'pension.withdrawal',
        subject: cardSubject(card.cardNumber),
        result,
        details: { amount: body.amount, atc, ...details },
      });
    const locked = await lockedCounter(tx, body.pan, atc, verified, audit);
    if (locked instanceof Refusal) return locked;
    const account_ = locked.account;
    if (!account_ || account_.pin_pvv !== debit.pin_pvv) {
      // A new PIN was set while the HSM checked the old one.
      return stateChanged(WITHDRAWAL);
    }
    const pin: PinCheck = { verified: pinVerified, failures: Number(account_.pin_failures) };
    const pinFailures = failuresAfter(pin);
    const pinTriesLeft = Math.max(0, BANK_PIN_TRIES - pinFailures);
    const outcome = pinOutcome(pin);
    const current = (await getCard(tx, card.cardNumber)) ?? card;
    const now = clock().toISOString();
    const alerts = await risk.onCardPresent(tx, {
      personNo: card.personNo,
      cardNumber: card.cardNumber,
      cardStatus: current.status,
      kind: 'withdrawal',
      terminalId: terminal.terminalId,
      region: terminal.region,
      at: now,
    });
    const decision = await decide(tx, card.personNo, current.status, body.amount, pin, true);
    // A blocking rule refuses what would have been approved, its alert committed; a withdrawal
    // declined anyway (a card in loss is not active) is answered with the decline for the card.
    const block = blocking(alerts);
    if (block && decision.arc === ARC.approved) {
      await audit('refused', { reason: 'RISK_BLOCKED', ruleCode: block.ruleCode, pin: outcome });
      return new Refusal(
        new DomainError('RISK_BLOCKED', block.words, 403, {
          alertId: block.alertId,
          ruleCode: block.ruleCode,
        }),
      );
    }
    if (decision.arc !== first.arc) return stateChanged(WITHDRAWAL);
    await spendCounter(tx, body.pan, atc, pinFailures);
    const withdrawalId = randomUUID();
    const approved = decision.arc === ARC.approved;
    const txnId = approved ? `withdrawal:${withdrawalId}` : null;
    if (txnId) {
      await post(
        tx,
        txnId,
        'withdrawal',
        [
          { account: account.card(card.personNo), amount: -body.amount },
          { account: account.bankCashOut(terminal.terminalId), amount: body.amount },
        ],
        now,
      );
    }
    await tx.run(
      `INSERT INTO bank_withdrawals (withdrawal_id, terminal_id, idempotency_key, pan, card_number, person_no, amount, atc, arc, status, txn_id, authorised_at, psn, algorithm, cdol1, aip)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        withdrawalId,
        terminal.terminalId,
        idempotencyKey,
        body.pan,
        card.cardNumber,
        card.personNo,
        body.amount,
        atc,
        decision.arc,
        approved ? 'approved' : 'declined',
        txnId,
        now,
        body.psn,
        cryptogram.algorithm,
        body.cdol1.toUpperCase(),
        body.aip.toUpperCase(),
      ],
    );
    await audit('ok', {
      withdrawalId,
      arc: decision.arc,
      pin: outcome,
      pinTriesLeft,
      ...(decision.reason ? { declined: decision.reason } : {}),
    });
    const answer: Authorisation = {
      withdrawalId,
      approved,
      arc: decision.arc,
      arpc: locked.arpc,
      amount: body.amount,
      balance: await balanceOf(tx, account.card(card.personNo)),
      authorisedAt: now,
      pinTriesLeft,
    };
    await storeResult(tx, key, 200, answer, now);
    return answer;
  });
  if (result instanceof Refusal) throw result.error;
  return result;
}

interface WithdrawalRow {
  withdrawal_id: string;
  pan: string | null;
  psn: string | null;
  algorithm: '3des' | 'sm4' | null;
  cdol1: string | null;
  aip: string | null;
  atc: number | string | null;
  person_no: string | null;
  card_number: string | null;
  amount: number | string | null;
  status: pension.WithdrawalStatus;
  txn_id: string | null;
  completed_at: string | null;
  outcome: string | null;
  reversal_txn_id: string | null;
}

/** The CVR's type of the second GENERATE AC (byte 1, bits 8–7): 01 TC, 00 AAC. */
const SECOND_AC_TYPE = { tc: 0b01, aac: 0b00 } as const;

/**
 * Whether the card's second cryptogram is the one the completion says: a TC or an AAC by its CVR,
 * of the card's algorithm, and verified by the HSM with the card's key over the authorisation's
 * terminal data, AIP and ATC. Withdrawals authorised before their data was kept are not checked.
 */
async function secondCryptogramVerified(
  hsm: HsmClient,
  w: WithdrawalRow,
  outcome: 'tc' | 'aac',
  cryptogram: string,
  iadHex: string,
): Promise<boolean> {
  if (!w.cdol1 || !w.aip || !w.algorithm || !w.pan || !w.psn || w.atc === null) return true;
  const iad = Buffer.from(iadHex, 'hex');
  let data: Buffer;
  const atc = Buffer.alloc(2);
  atc.writeUInt16BE(Number(w.atc));
  try {
    if (iadAlgorithm(iad) !== w.algorithm) return false;
    if (cvrFromIad(iad)[1]! >> 6 !== SECOND_AC_TYPE[outcome]) return false;
    data = acInputData(Buffer.from(w.cdol1, 'hex'), Buffer.from(w.aip, 'hex'), atc, iad);
  } catch {
    return false;
  }
  const answer = await hsm.verifyAc({
    algorithm: w.algorithm,
    pan: w.pan,
    psn: w.psn,
    atc: atc.toString('hex'),
    data: data.toString('hex'),
    cryptogram,
  });
  return answer.verified;
}

/**
 * Ends a withdrawal. The card's TC completes an approved one; its AAC or the terminal's reversal
 * (the card pulled, no answer in time) posts the reversing transaction, once: a second reversal
 * answers what the first did. A reversal of a key no authorisation came with voids the key. The
 * card's TC or AAC is verified by the HSM first (outside the transaction, like the ARQC); one that
 * does not verify is refused, audited, and changes nothing: the terminal reverses instead.
 */
export async function completeWithdrawal(
  store: Store,
  clock: Clock,
  hsm: HsmClient,
  terminal: BankTerminal,
  body: pension.WithdrawalCompletionBody,
): Promise<Completion> {
  const actor: Actor = { kind: 'terminal', id: terminal.terminalId, type: 'bank', region: terminal.region };
  if (body.outcome !== 'reversal') {
    const w = await store.get<WithdrawalRow>(
      'SELECT * FROM bank_withdrawals WHERE terminal_id = ? AND idempotency_key = ?',
      [terminal.terminalId, body.authorisationKey],
    );
    if (w && w.status !== 'voided') {
      const verified = await secondCryptogramVerified(hsm, w, body.outcome, body.cryptogram!, body.iad!);
      if (!verified) {
        await store.transaction((tx) =>
          appendAudit(tx, clock, {
            ...auditActor(actor),
            action: `pension.withdrawal.${body.outcome}`,
            subject: cardSubject(w.card_number!),
            result: 'refused',
            details: { withdrawalId: w.withdrawal_id, reason: 'CRYPTOGRAM_INVALID' },
          }),
        );
        throw new DomainError(
          'CRYPTOGRAM_INVALID',
          `the card’s ${body.outcome === 'tc' ? 'TC' : 'AAC'} did not verify`,
          403,
        );
      }
    }
  }
  return store.transaction(async (tx): Promise<Completion> => {
    await lockIdempotencyKey(tx, { terminalId: terminal.terminalId, key: body.authorisationKey });
    const w = await tx.get<WithdrawalRow>(
      `SELECT * FROM bank_withdrawals WHERE terminal_id = ? AND idempotency_key = ?${forUpdate(tx.dialect)}`,
      [terminal.terminalId, body.authorisationKey],
    );
    const now = clock().toISOString();
    const undo = body.outcome !== 'tc';
    const audit = (withdrawalId: string | null, subject: string, details: Record<string, unknown>) =>
      appendAudit(tx, clock, {
        ...auditActor(actor),
        action: `pension.withdrawal.${body.outcome}`,
        subject,
        result: 'ok',
        details: { withdrawalId, ...(body.reason ? { reason: body.reason } : {}), ...details },
      });
    if (!w) {
      if (!undo) throw notFound('withdrawal', { authorisationKey: body.authorisationKey });
      const withdrawalId = randomUUID();
      await tx.run(
        `INSERT INTO bank_withdrawals (withdrawal_id, terminal_id, idempotency_key, status, completed_at, outcome, reason)
         VALUES (?, ?, ?, 'voided', ?, ?, ?)`,
        [withdrawalId, terminal.terminalId, body.authorisationKey, now, body.outcome, body.reason ?? null],
      );
      await audit(null, `terminal ${terminal.terminalId}`, { voided: body.authorisationKey });
      return { withdrawalId: null, status: 'voided', reversalTxnId: null, completedAt: now };
    }
    const answerOf = (row: WithdrawalRow, replayed: boolean): Completion => ({
      withdrawalId: row.status === 'voided' ? null : row.withdrawal_id,
      status: row.status,
      reversalTxnId: row.reversal_txn_id,
      completedAt: row.completed_at ?? now,
      ...(replayed ? { replayed: true } : {}),
    });
    const ended = w.status === 'completed' || w.status === 'reversed' || w.status === 'voided';
    if (ended) {
      const same = (w.status === 'completed') === !undo;
      if (!same) {
        throw conflict('WITHDRAWAL_ALREADY_ENDED', `the withdrawal is ${w.status} already`, {
          status: w.status,
        });
      }
      return answerOf(w, true);
    }
    if (w.status === 'declined') {
      // Nothing moved: the card's AAC or a reversal only closes it; a TC of a declined one is the card disagreeing.
      if (!undo)
        throw conflict('WITHDRAWAL_ALREADY_ENDED', 'the withdrawal was declined', { status: w.status });
      if (w.completed_at) return answerOf(w, true);
      await tx.run(
        'UPDATE bank_withdrawals SET completed_at = ?, outcome = ?, reason = ?, cryptogram = ? WHERE withdrawal_id = ?',
        [now, body.outcome, body.reason ?? null, body.cryptogram ?? null, w.withdrawal_id],
      );
      await audit(w.withdrawal_id, cardSubject(w.card_number!), {});
      return answerOf({ ...w, completed_at: now }, false);
    }
    let reversalTxnId: string | null = null;
    if (undo) {
      reversalTxnId = `withdrawal-reversal:${w.withdrawal_id}`;
      const amount = Number(w.amount);
      await post(
        tx,
        reversalTxnId,
        'withdrawal_reversal',
        [
          { account: account.bankCashOut(terminal.terminalId), amount: -amount },
          { account: account.card(w.person_no!), amount },
        ],
        now,
      );
    }
    const status = undo ? 'reversed' : 'completed';
    await tx.run(
      `UPDATE bank_withdrawals SET status = ?, completed_at = ?, outcome = ?, reason = ?, cryptogram = ?, reversal_txn_id = ?
       WHERE withdrawal_id = ?`,
      [
        status,
        now,
        body.outcome,
        body.reason ?? null,
        body.cryptogram ?? null,
        reversalTxnId,
        w.withdrawal_id,
      ],
    );
    await audit(w.withdrawal_id, cardSubject(w.card_number!), { status, amount: Number(w.amount) });
    return answerOf({ ...w, status, completed_at: now, reversal_txn_id: reversalTxnId }, false);
  });
}
