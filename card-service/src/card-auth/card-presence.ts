import type { ProofRefusal as PresenceRefusal } from '@sscard/registry-protocol';
import { randomBytes, randomUUID } from 'node:crypto';
import { authBlockSize, maskCardIdCode, paymentProofBlock } from '@sscard/card-core';
import { type TimedAuditInput, appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import { cardSubject } from '../registry/subjects.js';
import type { Card } from '../registry/model.js';
import { getCardByIdCode } from '../registry/queries.js';
import type { Queryable, Store } from '../store/store.js';
import type { HsmClient } from '../hsm/hsm-client.js';

/**
 * Card-present proof (DESIGN.md §3): the service issues a one-block random challenge for one card
 * to one terminal; the card in that terminal's reader answers INTERNAL AUTHENTICATE over it; the
 * HSM module checks the answer. A challenge is spent by its first use, right or wrong, so an
 * answer can neither be replayed nor a challenge be tried twice.
 *
 * A settlement's payment challenge is issued with its quote (`issueForQuote`, in the pre-settle's
 * transaction) and names it: it serves that quote's settle and nothing else, and no challenge
 * asked for on its own serves a settle.
 */
export interface Challenge {
  challengeId: string;
  /** Hex, one cipher block of the card's algorithm (8 bytes 3DES, 16 bytes SM4). */
  challenge: string;
  algorithm: Card['algorithm'];
  expiresAt: string;
}

/**
 * Why a proof was refused: a presence proof's reasons of the wire contract, and for a payment proof
 * also `PIN_NOT_VERIFIED` (answered as a plain presence proof: the card had not verified the PIN).
 */
export type ProofRefusal = PresenceRefusal | 'PIN_NOT_VERIFIED';

/**
 * What the proof is for: presence (INTERNAL AUTHENTICATE P1 00, over the challenge), or a payment
 * (P1 01, over its complement, which the card answers only after VERIFY succeeded in the session;
 * docs/card-conventions.md).
 */
export type ProofPurpose = 'presence' | 'payment';

/** The HSM's word on a cryptogram, asked outside any transaction (see `judge`). */
export type CryptogramVerdict = 'verified' | 'pinNotVerified' | 'invalid';

export type ProofResult<R extends string = ProofRefusal> =
  | { verified: true; card: Card }
  | { verified: false; reason: R };

export interface ProofInput {
  challengeId: string;
  cardIdCode: string;
  /** Hex: the card's answer to INTERNAL AUTHENTICATE. */
  cryptogram: string;
  /** The quote whose settle the proof is for; absent for every other proof. */
  quoteId?: string;
}

/** A challenge as `judge` reads it. */
export interface IssuedChallenge {
  terminal_id: string;
  card_id_code: string;
  algorithm: Card['algorithm'];
  challenge: string;
  /** The quote it was issued with (null: asked for on its own). */
  quote_id: string | null;
}

/** Whether the challenge was issued for what the proof is presented for (`ProofInput.quoteId`). */
const forThisUse = (issuedWith: string | null | undefined, input: Pick<ProofInput, 'quoteId'>) =>
  (issuedWith ?? null) === (input.quoteId ?? null);

/** How often `issue` clears lapsed challenges. */
const SWEEP_INTERVAL_MS = 60_000;

export class CardPresence {
  /** When `issue` last cleared lapsed challenges (ms since the epoch; 0: not yet). */
  private sweptAt = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly hsm: HsmClient,
    private readonly ttlSeconds: number,
  ) {}

  async issue(terminalId: string, cardIdCode: string): Promise<Challenge> {
    const card = await getCardByIdCode(this.store, cardIdCode);
    if (!card) throw notFound('card', { reason: 'CARD_UNKNOWN' });
    const now = this.clock();
    const challenge = await this.insert(this.store, terminalId, card, {
      expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000).toISOString(),
      quoteId: null,
    });
    await this.sweepLapsed();
    return challenge;
  }

  /**
   * The payment challenge of a quote, issued in the pre-settle's transaction (`tx`) to the terminal
   * that asked for the quote, for the visit's `card`: it commits with the quote or not at all, and
   * lapses with it. The caller runs `sweepLapsed` once its transaction is over.
   */
  issueForQuote(
    tx: Queryable,
    terminalId: string,
    card: Pick<Card, 'cardIdCode' | 'algorithm'>,
    quote: { quoteId: string; expiresAt: string },
  ): Promise<Challenge> {
    return this.insert(tx, terminalId, card, { expiresAt: quote.expiresAt, quoteId: quote.quoteId });
  }

  /**
   * Spent and lapsed challenges are of no further use; clearing them keeps the table small. Once a
   * minute is enough for that, and spares the other issues a write (a commit on sqlite3).
   */
  async sweepLapsed(): Promise<void> {
    const now = this.clock().getTime();
    if (now - this.sweptAt < SWEEP_INTERVAL_MS) return;
    this.sweptAt = now;
    await this.store.run('DELETE FROM challenges WHERE expires_at < ?', [
      new Date(now - 3600_000).toISOString(),
    ]);
  }

  private async insert(
    q: Queryable,
    terminalId: string,
    card: Pick<Card, 'cardIdCode' | 'algorithm'>,
    { expiresAt, quoteId }: { expiresAt: string; quoteId: string | null },
  ): Promise<Challenge> {
    const challenge: Challenge = {
      challengeId: randomUUID(),
      challenge: randomBytes(authBlockSize(card.algorithm)).toString('hex').toUpperCase(),
      algorithm: card.algorithm,
      expiresAt,
    };
    await q.run(
      `INSERT INTO challenges (challenge_id, terminal_id, card_id_code, algorithm, challenge, expires_at, quote_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        challenge.challengeId,
        terminalId,
        card.cardIdCode,
        card.algorithm,
        challenge.challenge,
        challenge.expiresAt,
        quoteId,
      ],
    );
    return challenge;
  }

  /**
   * Spends the challenge and checks the card's answer; every outcome is audited with it. The HSM
   * is asked before the transaction (a slow HSM must not hold the database's write lock), about
   * the challenge as read then; the transaction re-reads it under lock and spends it, so two uses
   * of one challenge still get one answer. When the HSM cannot be reached nothing is spent.
   */
  async verify(terminalId: string, input: ProofInput): Promise<ProofResult<PresenceRefusal>> {
    const verdict = await this.judge(terminalId, input, 'presence');
    // A presence verdict is never `pinNotVerified`, so neither is the refusal.
    return this.store.transaction(
      (tx) => this.verifyIn(tx, terminalId, input, verdict) as Promise<ProofResult<PresenceRefusal>>,
    );
  }

  /**
   * Asks the HSM about the cryptogram over the challenge as it reads now, outside any
   * transaction. For a payment, an answer that is not over the challenge's complement is asked
   * about once more as a presence answer, to tell a card that had not verified the PIN from a
   * forged answer. `issued` is the challenge when the caller has read it with reads of its own
   * (null: there is no such challenge).
   */
  async judge(
    terminalId: string,
    input: ProofInput,
    purpose: ProofPurpose,
    issued?: IssuedChallenge | null,
  ): Promise<CryptogramVerdict> {
    const cardIdCode = input.cardIdCode.toUpperCase();
    const row =
      issued !== undefined
        ? (issued ?? undefined)
        : await this.store.get<IssuedChallenge>(
            'SELECT terminal_id, card_id_code, algorithm, challenge, quote_id FROM challenges WHERE challenge_id = ?',
            [input.challengeId],
          );
    if (
      row === undefined ||
      row.terminal_id !== terminalId ||
      row.card_id_code !== cardIdCode ||
      !forThisUse(row.quote_id, input)
    )
      return 'invalid';
    const over = async (challenge: string) =>
      (
        await this.hsm.verifyInternalAuth({
          algorithm: row.algorithm,
          cardIdCode,
          challenge,
          cryptogram: input.cryptogram,
        })
      ).verified;
    if (purpose === 'presence') return (await over(row.challenge)) ? 'verified' : 'invalid';
    const complement = paymentProofBlock(Buffer.from(row.challenge, 'hex')).toString('hex').toUpperCase();
    if (await over(complement)) return 'verified';
    return (await over(row.challenge)) ? 'pinNotVerified' : 'invalid';
  }

  /**
   * Spends the challenge and takes `verdict` (from `judge`) for the answer, inside the caller's
   * transaction, so that what the proof authorises commits or rolls back with the spending; the
   * outcome is audited with it. A caller that refuses because of the proof must still commit, so
   * that a refused proof spends its challenge too.
   */
  async verifyIn(
    tx: Queryable,
    terminalId: string,
    input: ProofInput,
    verdict: CryptogramVerdict,
  ): Promise<ProofResult> {
    const { result, audit } = await this.checkIn(tx, terminalId, input, verdict);
    await appendAudit(tx, this.clock, audit);
    return result;
  }

  /**
   * `verifyIn` with the audit entry handed back instead of appended, for a caller that appends it
   * with its own entries in one batch at the end of its transaction: on PostgreSQL the chain's
   * head row is locked from the first append to the commit, so appending last keeps every other
   * transaction's wait for it short. `card`, when the caller has read it in this transaction, is
   * the card the proof is checked for (it is not read again).
   */
  async checkIn(
    tx: Queryable,
    terminalId: string,
    input: ProofInput,
    verdict: CryptogramVerdict,
    card?: Card,
  ): Promise<{ result: ProofResult; audit: TimedAuditInput }> {
    const cardIdCode = input.cardIdCode.toUpperCase();
    const result = await this.check(tx, terminalId, cardIdCode, input, verdict, card);
    const audit: TimedAuditInput = {
      terminalId,
      action: 'card.authenticate',
      subject: result.verified
        ? cardSubject(result.card.cardNumber)
        : `card id ${maskCardIdCode(cardIdCode)}`,
      result: result.verified ? 'ok' : result.reason,
      details: { challengeId: input.challengeId },
      at: this.clock().toISOString(),
    };
    return { result, audit };
  }

  /**
   * Spends a challenge without judging it: a change refused after its proof was checked rolls the
   * check back with it, and the challenge must still not serve a second attempt.
   */
  async spend(tx: Queryable, terminalId: string, challengeId: string): Promise<void> {
    await tx.run(
      'UPDATE challenges SET used_at = ? WHERE challenge_id = ? AND terminal_id = ? AND used_at IS NULL',
      [this.clock().toISOString(), challengeId, terminalId],
    );
  }

  private async check(
    tx: Queryable,
    terminalId: string,
    cardIdCode: string,
    input: ProofInput,
    verdict: CryptogramVerdict,
    known?: Card,
  ): Promise<ProofResult> {
    const now = this.clock();
    // Spent in the statement that reads it: of two uses at once, the second finds it spent
    // (PostgreSQL: it waits for the first's row lock, then sees `used_at` set).
    const row = await tx.get<{ card_id_code: string; expires_at: string; quote_id: string | null }>(
      `UPDATE challenges SET used_at = ? WHERE challenge_id = ? AND terminal_id = ? AND used_at IS NULL
       RETURNING card_id_code, expires_at, quote_id`,
      [now.toISOString(), input.challengeId, terminalId],
    );
    if (!row) {
      const known = await tx.get<{ terminal_id: string }>(
        'SELECT terminal_id FROM challenges WHERE challenge_id = ?',
        [input.challengeId],
      );
      // A challenge issued to another terminal is as good as unknown to this one.
      return {
        verified: false,
        reason: known?.terminal_id === terminalId ? 'CHALLENGE_USED' : 'CHALLENGE_UNKNOWN',
      };
    }
    if (row.expires_at <= now.toISOString()) return { verified: false, reason: 'CHALLENGE_EXPIRED' };
    if (row.card_id_code !== cardIdCode) return { verified: false, reason: 'CHALLENGE_OTHER_CARD' };
    if (!forThisUse(row.quote_id, input)) return { verified: false, reason: 'CHALLENGE_OTHER_QUOTE' };
    const card = known?.cardIdCode === cardIdCode ? known : await getCardByIdCode(tx, cardIdCode);
    if (!card) return { verified: false, reason: 'CARD_UNKNOWN' };
    if (verdict === 'verified') return { verified: true, card };
    return {
      verified: false,
      reason: verdict === 'pinNotVerified' ? 'PIN_NOT_VERIFIED' : 'CRYPTOGRAM_INVALID',
    };
  }
}
