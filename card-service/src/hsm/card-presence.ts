import type { ProofRefusal } from '@sscard/registry-protocol';
import { randomBytes, randomUUID } from 'node:crypto';
import { authBlockSize, maskCardIdCode } from '@sscard/card-core';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import { cardSubject } from '../registry/subjects.js';
import type { Card } from '../registry/model.js';
import { getCardByIdCode } from '../registry/queries.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';
import type { HsmClient } from './hsm-client.js';

/**
 * Card-present proof (DESIGN.md §3): the service issues a one-block random challenge for one card
 * to one terminal; the card in that terminal's reader answers INTERNAL AUTHENTICATE over it; the
 * HSM module checks the answer. A challenge is spent by its first use, right or wrong, so an
 * answer can neither be replayed nor a challenge be tried twice.
 */
export interface Challenge {
  challengeId: string;
  /** Hex, one cipher block of the card's algorithm (8 bytes 3DES, 16 bytes SM4). */
  challenge: string;
  algorithm: Card['algorithm'];
  expiresAt: string;
}

export type { ProofRefusal };

export type ProofResult = { verified: true; card: Card } | { verified: false; reason: ProofRefusal };

export interface ProofInput {
  challengeId: string;
  cardIdCode: string;
  /** Hex: the card's answer to INTERNAL AUTHENTICATE. */
  cryptogram: string;
}

export class CardPresence {
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
    const challenge: Challenge = {
      challengeId: randomUUID(),
      challenge: randomBytes(authBlockSize(card.algorithm)).toString('hex').toUpperCase(),
      algorithm: card.algorithm,
      expiresAt: new Date(now.getTime() + this.ttlSeconds * 1000).toISOString(),
    };
    await this.store.run(
      `INSERT INTO challenges (challenge_id, terminal_id, card_id_code, algorithm, challenge, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [
        challenge.challengeId,
        terminalId,
        card.cardIdCode,
        card.algorithm,
        challenge.challenge,
        challenge.expiresAt,
      ],
    );
    // Spent and lapsed challenges are of no further use; clearing them here keeps the table small.
    await this.store.run('DELETE FROM challenges WHERE expires_at < ?', [
      new Date(now.getTime() - 3600_000).toISOString(),
    ]);
    return challenge;
  }

  /**
   * Spends the challenge and checks the card's answer; every outcome is audited with it. The HSM
   * is asked before the transaction (a slow HSM must not hold the database's write lock), about
   * the challenge as read then; the transaction re-reads it under lock and spends it, so two uses
   * of one challenge still get one answer. When the HSM cannot be reached nothing is spent.
   */
  async verify(terminalId: string, input: ProofInput): Promise<ProofResult> {
    const cardIdCode = input.cardIdCode.toUpperCase();
    const row = await this.store.get<{
      terminal_id: string;
      card_id_code: string;
      algorithm: Card['algorithm'];
      challenge: string;
    }>('SELECT terminal_id, card_id_code, algorithm, challenge FROM challenges WHERE challenge_id = ?', [
      input.challengeId,
    ]);
    const cryptogramVerified =
      row !== undefined && row.terminal_id === terminalId && row.card_id_code === cardIdCode
        ? (
            await this.hsm.verifyInternalAuth({
              algorithm: row.algorithm,
              cardIdCode,
              challenge: row.challenge,
              cryptogram: input.cryptogram,
            })
          ).verified
        : false;
    return this.store.transaction(async (tx) => {
      const result = await this.check(tx, terminalId, cardIdCode, input, cryptogramVerified);
      await appendAudit(tx, this.clock, {
        terminalId,
        action: 'card.authenticate',
        subject: result.verified
          ? cardSubject(result.card.cardNumber)
          : `card id ${maskCardIdCode(cardIdCode)}`,
        result: result.verified ? 'ok' : result.reason,
        details: { challengeId: input.challengeId },
      });
      return result;
    });
  }

  private async check(
    tx: Queryable,
    terminalId: string,
    cardIdCode: string,
    input: ProofInput,
    cryptogramVerified: boolean,
  ): Promise<ProofResult> {
    const now = this.clock();
    const row = await tx.get<{
      terminal_id: string;
      card_id_code: string;
      algorithm: Card['algorithm'];
      challenge: string;
      expires_at: string;
      used_at: string | null;
    }>(
      `SELECT terminal_id, card_id_code, algorithm, challenge, expires_at, used_at FROM challenges
       WHERE challenge_id = ?${forUpdate(tx.dialect)}`,
      [input.challengeId],
    );
    // A challenge issued to another terminal is as good as unknown to this one.
    if (!row || row.terminal_id !== terminalId) return { verified: false, reason: 'CHALLENGE_UNKNOWN' };
    if (row.used_at !== null) return { verified: false, reason: 'CHALLENGE_USED' };
    await tx.run('UPDATE challenges SET used_at = ? WHERE challenge_id = ?', [
      now.toISOString(),
      input.challengeId,
    ]);
    if (row.expires_at <= now.toISOString()) return { verified: false, reason: 'CHALLENGE_EXPIRED' };
    if (row.card_id_code !== cardIdCode) return { verified: false, reason: 'CHALLENGE_OTHER_CARD' };
    const card = await getCardByIdCode(tx, cardIdCode);
    if (!card) return { verified: false, reason: 'CARD_UNKNOWN' };
    return cryptogramVerified ? { verified: true, card } : { verified: false, reason: 'CRYPTOGRAM_INVALID' };
  }
}
