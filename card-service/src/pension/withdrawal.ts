import { createHash, randomUUID } from 'node:crypto';
import { arqcInputData, iadAlgorithm } from '@sscard/card-core';
import { pension } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import { canonicalJson } from '../audit/canonical-json.js';
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
import { getEntitlement } from './entitlements.js';

type WithdrawalBody = pension.WithdrawalBody;
type Authorisation = pension.WithdrawalAnswer;
type Completion = pension.WithdrawalCompletionAnswer;

const ARC = pension.AUTHORISATION_RESPONSE_CODES;
const maskPan = (pan: string) => `${'*'.repeat(pan.length - 4)}${pan.slice(-4)}`;
const arcHex = (arc: string) => Buffer.from(arc, 'latin1').toString('hex').toUpperCase();

interface DebitAccountRow {
  pan: string;
  psn: string;
  card_number: string;
  last_atc: number | string | null;
  registered_at: string;
}

/** Registers the bank's account of a card (its debit application's PAN and PSN), once. */
export async function registerDebitAccount(
  store: Store,
  clock: Clock,
  body: { cardNumber: string; pan: string; psn: string },
  actor: Actor,
): Promise<pension.DebitAccount & { replayed: boolean }> {
  return store.transaction(async (tx) => {
    const card = await getCard(tx, body.cardNumber);
    if (!card) throw notFound('card', { cardNumber: body.cardNumber });
    const byPan = await tx.get<DebitAccountRow>('SELECT * FROM debit_accounts WHERE pan = ?', [body.pan]);
    const byCard = await tx.get<DebitAccountRow>('SELECT * FROM debit_accounts WHERE card_number = ?', [
      body.cardNumber,
    ]);
    if (byPan && byPan.card_number === body.cardNumber && byPan.psn === body.psn) {
      return {
        cardNumber: body.cardNumber,
        pan: maskPan(body.pan),
        psn: body.psn,
        registeredAt: byPan.registered_at,
        replayed: true,
      };
    }
    if (byPan || byCard) {
      throw conflict('DEBIT_ACCOUNT_CONFLICT', 'the PAN or the card is registered with another', {
        ...(byPan ? { cardNumber: byPan.card_number } : {}),
        ...(byCard ? { pan: maskPan(byCard.pan) } : {}),
      });
    }
    const at = clock().toISOString();
    await tx.run(
      'INSERT INTO debit_accounts (pan, psn, card_number, last_atc, registered_at, registered_by) VALUES (?, ?, ?, NULL, ?, ?)',
      [body.pan, body.psn, body.cardNumber, at, actorLabel(actor)],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'pension.debitAccount',
      subject: cardSubject(body.cardNumber),
      result: 'ok',
      details: { pan: maskPan(body.pan), psn: body.psn },
    });
    return {
      cardNumber: body.cardNumber,
      pan: maskPan(body.pan),
      psn: body.psn,
      registeredAt: at,
      replayed: false,
    };
  });
}

/** The ARQC's input from the request, checked against the request's own amount; the algorithm from 9F10. */
function cryptogramData(body: WithdrawalBody): { data: Buffer; algorithm: '3des' | 'sm4' } {
  const cdol1 = Buffer.from(body.cdol1, 'hex');
  const field = (from: number, length: number) => cdol1.subarray(from, from + length);
  const amountAuthorised = field(0, 6);
  const currency = field(19, 2);
  const transactionType = field(24, 1);
  const invalid = (why: string) => new DomainError('WITHDRAWAL_DATA_INVALID', why, 400);
  if (
    !/^\d{12}$/.test(amountAuthorised.toString('hex')) ||
    Number(amountAuthorised.toString('hex')) !== body.amount
  )
    throw invalid('the amount authorised (9F02) is not the amount asked');
  if (currency.toString('hex') !== '0156') throw invalid('the transaction currency (5F2A) is not CNY');
  if (transactionType[0] !== 0x01) throw invalid('the transaction type (9C) is not a cash withdrawal (01)');
  const iad = Buffer.from(body.iad, 'hex');
  try {
    const data = arqcInputData({
      amountAuthorised,
      amountOther: field(6, 6),
      terminalCountryCode: field(12, 2),
      tvr: field(14, 5),
      transactionCurrencyCode: currency,
      transactionDate: field(21, 3),
      transactionType,
      unpredictableNumber: field(25, 4),
      aip: Buffer.from(body.aip, 'hex'),
      atc: Buffer.from(body.atc, 'hex'),
      iad,
    });
    return { data, algorithm: iadAlgorithm(iad) };
  } catch (e) {
    throw invalid((e as Error).message);
  }
}

/** A refusal that must still commit (an alert raised, a counter spent): thrown after the commit. */
class Refusal {
  constructor(readonly error: DomainError) {}
}

interface Decision {
  arc: string;
  reason: string | null;
}

/** Approve, or the decline's code: the card active, the pension use not frozen, the balance enough. */
async function decide(
  q: Queryable,
  personNo: string,
  cardStatus: string,
  amount: number,
  lock: boolean,
): Promise<Decision & { balance: number }> {
  const balanceRow = await q.get<{ balance: number | string }>(
    `SELECT balance FROM card_accounts WHERE person_no = ?${lock ? forUpdate(q.dialect) : ''}`,
    [personNo],
  );
  const balance = Number(balanceRow?.balance ?? 0);
  if (cardStatus !== 'active') return { arc: ARC.restrictedCard, reason: `card ${cardStatus}`, balance };
  const e = await getEntitlement(q, personNo, lock);
  if (e?.frozenAt) return { arc: ARC.restrictedCard, reason: 'pension use frozen', balance };
  if (balance < amount) return { arc: ARC.insufficientFunds, reason: 'balance insufficient', balance };
  return { arc: ARC.approved, reason: null, balance };
}

export interface BankTerminal {
  terminalId: string;
  region: string;
}

/**
 * The online authorisation of a withdrawal. The decision is taken from a first read, the HSM
 * verifies the ARQC and makes the ARPC for it outside the transaction (a slow HSM never holds the
 * store's locks), and the transaction takes the decision again under its locks: a different
 * answer there refuses with nothing moved and the counter unspent, for the terminal to send again.
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
  const key = {
    terminalId: terminal.terminalId,
    key: idempotencyKey,
    requestHash: createHash('sha256')
      .update(canonicalJson({ op: 'withdrawal', ...body, cdol1: body.cdol1.toUpperCase() }))
      .digest('hex'),
  };
  const earlier = await storedResult<Authorisation>(store, key);
  if (earlier) return { ...earlier, replayed: true };
  const { data, algorithm } = cryptogramData(body);
  const debit = await store.get<DebitAccountRow>('SELECT * FROM debit_accounts WHERE pan = ? AND psn = ?', [
    body.pan,
    body.psn,
  ]);
  if (!debit)
    throw new DomainError('DEBIT_ACCOUNT_UNKNOWN', 'no card is registered for this PAN and PSN', 404);
  const card = await getCard(store, debit.card_number);
  if (!card) throw notFound('card');
  const atc = Number.parseInt(body.atc, 16);
  const first = await decide(store, card.personNo, card.status, body.amount, false);
  const verified = await hsm.verifyArqc({
    algorithm,
    pan: body.pan,
    psn: body.psn,
    atc: body.atc,
    data: data.toString('hex'),
    arqc: body.arqc,
    arc: arcHex(first.arc),
  });
  const actor: Actor = { kind: 'terminal', id: terminal.terminalId, type: 'bank', region: terminal.region };
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
    if (!verified.verified) {
      await audit('refused', { reason: 'ARQC_INVALID' });
      return new Refusal(new DomainError('ARQC_INVALID', 'the card’s cryptogram did not verify', 403));
    }
    const account_ = await tx.get<DebitAccountRow>(
      `SELECT * FROM debit_accounts WHERE pan = ?${forUpdate(tx.dialect)}`,
      [body.pan],
    );
    const lastAtc =
      account_?.last_atc === null || account_?.last_atc === undefined ? -1 : Number(account_.last_atc);
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
    const decision = await decide(tx, card.personNo, current.status, body.amount, true);
    // A blocking rule refuses what would have been approved, its alert committed; a withdrawal
    // declined anyway (a card in loss is not active) is answered with the decline for the card.
    const block = blocking(alerts);
    if (block && decision.arc === ARC.approved) {
      await audit('refused', { reason: 'RISK_BLOCKED', ruleCode: block.ruleCode });
      return new Refusal(
        new DomainError('RISK_BLOCKED', block.words, 403, {
          alertId: block.alertId,
          ruleCode: block.ruleCode,
        }),
      );
    }
    if (decision.arc !== first.arc) {
      return new Refusal(
        new DomainError(
          'WITHDRAWAL_STATE_CHANGED',
          'the account changed while the cryptogram was checked; send again',
          409,
        ),
      );
    }
    await tx.run('UPDATE debit_accounts SET last_atc = ? WHERE pan = ?', [atc, body.pan]);
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
      `INSERT INTO bank_withdrawals (withdrawal_id, terminal_id, idempotency_key, pan, card_number, person_no, amount, atc, arc, status, txn_id, authorised_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      ],
    );
    await audit('ok', {
      withdrawalId,
      arc: decision.arc,
      ...(decision.reason ? { declined: decision.reason } : {}),
    });
    const answer: Authorisation = {
      withdrawalId,
      approved,
      arc: decision.arc,
      arpc: verified.arpc,
      amount: body.amount,
      balance: await balanceOf(tx, account.card(card.personNo)),
      authorisedAt: now,
    };
    await storeResult(tx, key, 200, answer, now);
    return answer;
  });
  if (result instanceof Refusal) throw result.error;
  return result;
}

interface WithdrawalRow {
  withdrawal_id: string;
  person_no: string | null;
  card_number: string | null;
  amount: number | string | null;
  status: pension.WithdrawalStatus;
  txn_id: string | null;
  completed_at: string | null;
  outcome: string | null;
  reversal_txn_id: string | null;
}

/**
 * Ends a withdrawal. The card's TC completes an approved one; its AAC or the terminal's reversal
 * (the card pulled, no answer in time) posts the reversing transaction, once: a second reversal
 * answers what the first did. A reversal of a key no authorisation came with voids the key.
 */
export async function completeWithdrawal(
  store: Store,
  clock: Clock,
  terminal: BankTerminal,
  body: pension.WithdrawalCompletionBody,
): Promise<Completion> {
  const actor: Actor = { kind: 'terminal', id: terminal.terminalId, type: 'bank', region: terminal.region };
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
