import { createHash } from 'node:crypto';
import { DomainError } from '../errors.js';
import { type Queryable, forUpdate } from '../store/store.js';

/**
 * Idempotency of terminal requests (DESIGN.md §3): the key (the terminal's journal sequence) is
 * stored with the result in the transaction that made the change, so a retry after a lost answer
 * gets the same answer and changes nothing twice.
 */
export interface IdempotencyKey {
  terminalId: string;
  key: string;
  /** Hash of the request; the same key with another request is a client bug, refused. */
  requestHash: string;
}

export async function storedResult<T>(tx: Queryable, k: IdempotencyKey): Promise<T | undefined> {
  const row = await tx.get<{ request_hash: string; body: string }>(
    `SELECT request_hash, body FROM idempotency_keys WHERE terminal_id = ? AND idempotency_key = ?${forUpdate(tx.dialect)}`,
    [k.terminalId, k.key],
  );
  if (!row) return undefined;
  if (row.request_hash !== k.requestHash) {
    throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used for another request', 422);
  }
  return JSON.parse(row.body) as T;
}

export async function storeResult(
  tx: Queryable,
  k: IdempotencyKey,
  status: number,
  body: unknown,
  at: string,
): Promise<void> {
  await tx.run(
    `INSERT INTO idempotency_keys (terminal_id, idempotency_key, request_hash, status, body, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [k.terminalId, k.key, k.requestHash, status, JSON.stringify(body), at],
  );
}

/**
 * Makes concurrent first attempts with one key take turns until the first commits, so that the
 * second finds the stored result and replays it. On PostgreSQL a transaction-scoped advisory lock
 * on the key (the lookup below finds no row to lock on a first attempt); sqlite3 runs one writing
 * transaction at a time already.
 */
export async function lockIdempotencyKey(
  tx: Queryable,
  k: Pick<IdempotencyKey, 'terminalId' | 'key'>,
): Promise<void> {
  if (tx.dialect !== 'postgres') return;
  const digest = createHash('sha256').update(`${k.terminalId}\n${k.key}`).digest();
  // The two-integer form: a key space of its own, apart from the migrations' one-bigint lock.
  await tx.run('SELECT pg_advisory_xact_lock(?::int4, ?::int4)', [
    digest.readInt32BE(0),
    digest.readInt32BE(4),
  ]);
}
