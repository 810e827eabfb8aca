import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { GENESIS_HASH } from '../store/migrations.js';
import { type Queryable, forUpdate } from '../store/store.js';
import { canonicalJson } from './canonical-json.js';

/**
 * The append-only, hash-chained audit log. Each entry's hash covers its canonical JSON including
 * the previous entry's hash, so altering, removing or reordering any entry breaks the chain from
 * that point on. `audit_head` holds the last seq and hash, updated in the same transaction, so a
 * removed tail is detected too; an operator who records the head hash elsewhere (it is printed by
 * `audit verify`) also detects a rewrite of the whole chain.
 */
export interface AuditInput {
  terminalId?: string | null;
  operatorId?: string | null;
  /** What was done, e.g. `card.reportTemporaryLoss`, `identity.check`. */
  action: string;
  /** Whom it concerned, already masked: card numbers, masked ID numbers, terminal ids. */
  subject: string;
  /** `ok` or the refusal code. */
  result: string;
  /** Further facts; never a full ID number, name, PIN or key. */
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  at: string;
  terminalId: string | null;
  operatorId: string | null;
  action: string;
  subject: string;
  result: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

interface AuditRow {
  seq: number;
  at: string;
  terminal_id: string | null;
  operator_id: string | null;
  action: string;
  subject: string;
  result: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const body = {
    seq: entry.seq,
    at: entry.at,
    terminal: entry.terminalId,
    operator: entry.operatorId,
    action: entry.action,
    subject: entry.subject,
    result: entry.result,
    details: entry.details,
    prevHash: entry.prevHash,
  };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Appends one entry inside the caller's transaction: the entry commits with the change it records. */
export async function appendAudit(tx: Queryable, clock: Clock, input: AuditInput): Promise<AuditEntry> {
  const [entry] = await appendAuditBatch(tx, [{ ...input, at: clock().toISOString() }]);
  return entry!;
}

/** Rows per INSERT: 10 parameters each, far below either engine's limit on parameters. */
const INSERT_ROWS = 50;
const INSERT_HEAD =
  'INSERT INTO audit_log (seq, at, terminal_id, operator_id, action, subject, result, details, prev_hash, hash) VALUES ';
const ROW_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * Appends entries in the given order inside the caller's transaction, with one read and one
 * update of the head for all of them. `at` is when each was recorded, which may be a little
 * before the chain position it gets.
 */
export async function appendAuditBatch(
  tx: Queryable,
  inputs: readonly (AuditInput & { at: string })[],
): Promise<AuditEntry[]> {
  if (inputs.length === 0) return [];
  // The head row is the chain's lock: concurrent appenders queue here instead of forking the chain.
  const head = await tx.get<{ seq: number; hash: string }>(
    `SELECT seq, hash FROM audit_head WHERE id = 1${forUpdate(tx.dialect)}`,
  );
  if (!head) throw new Error('audit_head row missing: the schema is not migrated');
  let seq = Number(head.seq);
  let prevHash = head.hash;
  const entries: AuditEntry[] = inputs.map((input) => {
    const partial = {
      seq: ++seq,
      at: input.at,
      terminalId: input.terminalId ?? null,
      operatorId: input.operatorId ?? null,
      action: input.action,
      subject: input.subject,
      result: input.result,
      details: input.details ?? {},
      prevHash,
    };
    const entry: AuditEntry = { ...partial, hash: entryHash(partial) };
    prevHash = entry.hash;
    return entry;
  });
  for (let i = 0; i < entries.length; i += INSERT_ROWS) {
    const chunk = entries.slice(i, i + INSERT_ROWS);
    await tx.run(
      INSERT_HEAD + chunk.map(() => ROW_PLACEHOLDERS).join(', '),
      chunk.flatMap((e) => [
        e.seq,
        e.at,
        e.terminalId,
        e.operatorId,
        e.action,
        e.subject,
        e.result,
        JSON.stringify(e.details),
        e.prevHash,
        e.hash,
      ]),
    );
  }
  await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [seq, prevHash]);
  return entries;
}

function fromRow(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at,
    terminalId: row.terminal_id,
    operatorId: row.operator_id,
    action: row.action,
    subject: row.subject,
    result: row.result,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export type AuditVerification =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | {
      ok: false;
      entries: number;
      /** The first seq at which the chain is not what it should be. */
      firstBadSeq: number;
      reason: 'missing' | 'altered' | 'out-of-order' | 'head-mismatch';
    };

/** Walks the whole chain in pages (it may hold millions of entries) and names the first bad seq. */
export async function verifyAuditChain(store: Queryable, pageSize = 2000): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let lastSeq = 0;
  for (;;) {
    const rows = await store.all<AuditRow>(
      `SELECT seq, at, terminal_id, operator_id, action, subject, result, details, prev_hash, hash
       FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ${pageSize}`,
      [expectedSeq],
    );
    for (const row of rows) {
      const entry = fromRow(row);
      if (entry.seq !== expectedSeq) {
        return { ok: false, entries: expectedSeq - 1, firstBadSeq: expectedSeq, reason: 'missing' };
      }
      if (entry.prevHash !== prevHash) {
        return { ok: false, entries: expectedSeq - 1, firstBadSeq: entry.seq, reason: 'out-of-order' };
      }
      if (entryHash(entry) !== entry.hash) {
        return { ok: false, entries: expectedSeq - 1, firstBadSeq: entry.seq, reason: 'altered' };
      }
      prevHash = entry.hash;
      lastSeq = entry.seq;
      expectedSeq++;
    }
    if (rows.length < pageSize) break;
  }
  const head = await store.get<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1',
  );
  if (!head || Number(head.seq) !== lastSeq || head.hash !== prevHash) {
    const headSeq = Number(head?.seq ?? 0);
    return {
      ok: false,
      entries: lastSeq,
      firstBadSeq: headSeq > lastSeq ? lastSeq + 1 : lastSeq,
      reason: headSeq > lastSeq ? 'missing' : 'head-mismatch',
    };
  }
  return { ok: true, entries: lastSeq, headSeq: lastSeq, headHash: prevHash };
}

export async function listAudit(store: Queryable, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  const rows = await store.all<AuditRow>(
    `SELECT seq, at, terminal_id, operator_id, action, subject, result, details, prev_hash, hash
     FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
    [afterSeq],
  );
  return rows.map(fromRow);
}
