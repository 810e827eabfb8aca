import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { GENESIS_HASH } from '../store/migrations.js';
import { readCheckpointLog } from '../hsm/checkpoint-log.js';
import type { HsmClient } from '../hsm/hsm-client.js';
import { ZERO_MAC } from '../hsm/hsm-core.js';
import { type Dialect, type Queryable, forUpdate } from '../store/store.js';
import { listCheckpoints } from './audit-checkpoints.js';
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

/**
 * `detailsJson`, when given, is `canonicalJson(entry.details)` already computed by the caller (the
 * group-commit writer checks every entry's details can be hashed when they are appended).
 */
export function entryHash(entry: Omit<AuditEntry, 'hash'>, detailsJson?: string): string {
  // canonicalJson of {seq, at, terminal, operator, action, subject, result, details, prevHash},
  // written out in its sorted key order without building the object first.
  let out = '{';
  const field = (key: string, value: unknown): void => {
    if (value === undefined) return;
    if (out.length > 1) out += ',';
    out += `"${key}":${canonicalJson(value)}`;
  };
  field('action', entry.action);
  field('at', entry.at);
  out += `,"details":${detailsJson ?? canonicalJson(entry.details)}`;
  field('operator', entry.operatorId);
  field('prevHash', entry.prevHash);
  field('result', entry.result);
  field('seq', entry.seq);
  field('subject', entry.subject);
  field('terminal', entry.terminalId);
  return createHash('sha256').update(`${out}}`).digest('hex');
}

/** Appends one entry inside the caller's transaction: the entry commits with the change it records. */
export async function appendAudit(tx: Queryable, clock: Clock, input: AuditInput): Promise<AuditEntry> {
  const [entry] = await appendAuditBatch(tx, [{ ...input, at: clock().toISOString() }]);
  return entry!;
}

const AUDIT_COLUMNS = 'seq, at, terminal_id, operator_id, action, subject, result, details, prev_hash, hash';

/**
 * Inserts any number of entries with one statement whose text never changes (so it is prepared
 * once): the rows travel as one JSON array parameter and the engine unpacks it, in array order
 * (on sqlite3 each row must follow the one before it, see below).
 */
const INSERT_FROM_JSON: Record<Dialect, string> = {
  sqlite: `INSERT INTO audit_log (${AUDIT_COLUMNS})
    SELECT ${AUDIT_COLUMNS.split(', ')
      .map((c) => `json_extract(value, '$.${c}')`)
      .join(', ')}
    FROM json_each(?) ORDER BY key`,
  postgres: `INSERT INTO audit_log (${AUDIT_COLUMNS})
    SELECT ${AUDIT_COLUMNS} FROM json_to_recordset(?::json) AS e (seq bigint, at text, terminal_id text,
      operator_id text, action text, subject text, result text, details text, prev_hash text, hash text)`,
};

/**
 * PostgreSQL: the entries and the head update as one statement, on condition that the head is
 * still where the caller last saw it. The UPDATE takes the head row's lock (waiting for any
 * transaction holding it) and re-checks the condition on the row as committed, so a head moved by
 * anyone else makes it update nothing, and then the INSERT adds nothing either.
 */
const CONDITIONAL_APPEND_POSTGRES = `WITH moved AS (
    UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ? AND hash = ? RETURNING id
  )
  INSERT INTO audit_log (${AUDIT_COLUMNS})
  SELECT ${AUDIT_COLUMNS} FROM json_to_recordset(?::json) AS e (seq bigint, at text, terminal_id text,
    operator_id text, action text, subject text, result text, details text, prev_hash text, hash text)
  WHERE EXISTS (SELECT 1 FROM moved)`;

/**
 * sqlite3: what the `audit_log_follows_head` trigger (migration 4) answers for an entry that does
 * not follow the head; the whole statement is then undone.
 */
const NOT_AFTER_HEAD = 'audit entry does not follow the chain head';

export interface AuditHead {
  seq: number;
  hash: string;
}

/**
 * An entry to append: when it was recorded, and optionally its details' canonical JSON if the
 * caller already has it (stored as the `details` column too: it is JSON like any other).
 */
export type TimedAuditInput = AuditInput & { at: string; detailsJson?: string };

/** The entries that follow `head`, each hashed over its predecessor, and their rows as JSON. */
function chainAfter(
  head: AuditHead,
  inputs: readonly TimedAuditInput[],
): { entries: AuditEntry[]; rowsJson: string } {
  let seq = Number(head.seq);
  let prevHash = head.hash;
  const entries: AuditEntry[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const input of inputs) {
    const details = input.details ?? {};
    const detailsJson = input.detailsJson ?? canonicalJson(details);
    const entry: AuditEntry = {
      seq: ++seq,
      at: input.at,
      terminalId: input.terminalId ?? null,
      operatorId: input.operatorId ?? null,
      action: input.action,
      subject: input.subject,
      result: input.result,
      details,
      prevHash,
      hash: '',
    };
    entry.hash = entryHash(entry, detailsJson);
    prevHash = entry.hash;
    entries.push(entry);
    rows.push({
      seq: entry.seq,
      at: entry.at,
      terminal_id: entry.terminalId,
      operator_id: entry.operatorId,
      action: entry.action,
      subject: entry.subject,
      result: entry.result,
      details: detailsJson,
      prev_hash: entry.prevHash,
      hash: entry.hash,
    });
  }
  return { entries, rowsJson: JSON.stringify(rows) };
}

/**
 * Appends entries in the given order inside the caller's transaction, with one read and one
 * update of the head for all of them. `at` is when each was recorded, which may be a little
 * before the chain position it gets.
 */
export async function appendAuditBatch(
  tx: Queryable,
  inputs: readonly TimedAuditInput[],
): Promise<AuditEntry[]> {
  if (inputs.length === 0) return [];
  return appendAfter(tx, await lockHead(tx), inputs);
}

/** The head row is the chain's lock: concurrent appenders queue here instead of forking the chain. */
async function lockHead(tx: Queryable): Promise<AuditHead> {
  const head = await tx.get<AuditHead>(
    `SELECT seq, hash FROM audit_head WHERE id = 1${forUpdate(tx.dialect)}`,
  );
  if (!head) throw new Error('audit_head row missing: the schema is not migrated');
  return head;
}

/**
 * Records a change's audit entries in the change's own transaction without touching the chain:
 * they commit with the change, and `chainDeferred` (the audit writer's next batch) moves them into
 * the chain, so that the chain's head is locked once per batch instead of once per change. Until
 * then they are durable but not yet covered by the chain's hashes; after a crash the service
 * chains what is left at its start.
 */
export async function deferAudit(tx: Queryable, inputs: readonly TimedAuditInput[]): Promise<void> {
  if (inputs.length === 0) return;
  await tx.run('INSERT INTO audit_pending (entries) VALUES (?)', [JSON.stringify(inputs)]);
}

/**
 * Appends every deferred entry committed so far (in the order their changes recorded them), then
 * `inputs`, in the caller's transaction; answers the entries of `inputs`. The head is locked
 * before the deferred rows are taken, so two writers never take the same row: the second reads
 * only after the first has committed (or rolled back).
 */
export async function appendDeferredAndBatch(
  tx: Queryable,
  inputs: readonly TimedAuditInput[],
): Promise<{ entries: AuditEntry[]; head: AuditHead }> {
  const head = await lockHead(tx);
  const taken = await tx.all<{ id: number | string; entries: string }>(
    'DELETE FROM audit_pending RETURNING id, entries',
  );
  taken.sort((a, b) => Number(a.id) - Number(b.id));
  const deferred = taken.flatMap((row) => JSON.parse(row.entries) as TimedAuditInput[]);
  if (deferred.length + inputs.length === 0) return { entries: [], head: headOf(head) };
  const all = await appendAfter(tx, head, [...deferred, ...inputs]);
  return { entries: all.slice(deferred.length), head: headOf(all[all.length - 1]!) };
}

const headOf = (e: AuditHead): AuditHead => ({ seq: Number(e.seq), hash: e.hash });

/** Inserts the entries that follow `head` (locked by the caller) and moves the head. */
async function appendAfter(
  tx: Queryable,
  head: AuditHead,
  inputs: readonly TimedAuditInput[],
): Promise<AuditEntry[]> {
  const { entries, rowsJson } = chainAfter(head, inputs);
  await tx.run(INSERT_FROM_JSON[tx.dialect], [rowsJson]);
  // On sqlite3 the insert has already moved the head, row by row (migration 4's trigger).
  if (tx.dialect === 'postgres') {
    const last = entries[entries.length - 1]!;
    await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [last.seq, last.hash]);
  }
  return entries;
}

/**
 * Appends entries right after `head` in one statement outside any transaction, or writes nothing
 * and answers undefined when the head is no longer `head`: the caller then appends through
 * `appendAuditBatch` in a transaction, which reads the head afresh. On PostgreSQL the statement
 * moves the head only if it is still `head`; on sqlite3 the chain's triggers refuse rows that do
 * not follow the head and move it with each row. One statement is atomic on both: all of the
 * entries or none.
 */
export async function appendAuditAfter(
  store: Queryable,
  head: AuditHead,
  inputs: readonly TimedAuditInput[],
): Promise<AuditEntry[] | undefined> {
  if (inputs.length === 0) return [];
  const { entries, rowsJson } = chainAfter(head, inputs);
  let changes: number;
  if (store.dialect === 'sqlite') {
    try {
      ({ changes } = await store.run(INSERT_FROM_JSON.sqlite, [rowsJson]));
    } catch (e) {
      if (e instanceof Error && e.message.includes(NOT_AFTER_HEAD)) return undefined;
      throw e;
    }
  } else {
    const last = entries[entries.length - 1]!;
    ({ changes } = await store.run(CONDITIONAL_APPEND_POSTGRES, [
      last.seq,
      last.hash,
      head.seq,
      head.hash,
      rowsJson,
    ]));
    if (changes === 0) return undefined;
  }
  if (changes !== entries.length) {
    // One statement is atomic, so this cannot happen short of an engine fault; say so loudly.
    throw new Error(`conditional audit append wrote ${changes} of ${entries.length} entries`);
  }
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

export type AuditBreak =
  /** A seq is absent: an entry deleted from the middle. */
  | 'missing'
  /** An entry's hash is not the hash of its content: an edited entry. */
  | 'altered'
  /** An entry does not follow its predecessor. */
  | 'out-of-order'
  /** `audit_head` is not the last entry. */
  | 'head-mismatch'
  /** The entry at a certified seq has another hash than the HSM certified: the chain was rewritten. */
  | 'checkpoint-mismatch'
  /** The chain ends before a seq the HSM certified: a deleted tail, or a database restored from an older copy. */
  | 'truncated'
  /** A checkpoint whose MAC is not the HSM's. */
  | 'checkpoint-forged'
  /** The checkpoint log outside the database is not one unbroken chain of the HSM's checkpoints. */
  | 'checkpoint-log-broken';

export type AuditVerification =
  | {
      ok: true;
      entries: number;
      headSeq: number;
      headHash: string;
      /** With certification: how many checkpoints were checked, the last certified seq, entries after it. */
      checkpoints?: number;
      certifiedSeq?: number;
      uncertifiedEntries?: number;
    }
  | {
      ok: false;
      entries: number;
      /** The first seq at which the chain is not what it should be. */
      firstBadSeq: number;
      reason: AuditBreak;
    };

/** Where the checkpoints come from and who checks their MACs. */
export interface AuditCertification {
  hsm: HsmClient;
  /** The HSM's checkpoint log (`audit-checkpoints.jsonl` in its directory). */
  checkpointLogPath: string;
}

type Certified =
  | { ok: true; bySeq: Map<number, string>; count: number; maxSeq: number }
  | { ok: false; firstBadSeq: number; reason: AuditBreak };

/**
 * The checkpoints of the log file and of the database, checked: every MAC by the HSM, the file as
 * one chain (each checkpoint's `prevMac` the MAC before it, seqs rising), and every database copy
 * present in the file. The file is the authority: a checkpoint the database lacks is not a break
 * (the service may have stopped between the HSM's answer and its insert).
 */
async function certifiedSeqs(store: Queryable, c: AuditCertification): Promise<Certified> {
  const file = (await readCheckpointLog(c.checkpointLogPath)).checkpoints;
  const stored = await listCheckpoints(store);
  const all = [...file, ...stored];
  for (let i = 0; i < all.length; i += 1000) {
    const page = all.slice(i, i + 1000);
    const { invalid } = await c.hsm.checkCheckpointMacs({ checkpoints: page });
    if (invalid.length > 0) {
      const seq = Math.min(...invalid.map((k) => page[k]!.seq));
      return { ok: false, firstBadSeq: seq, reason: 'checkpoint-forged' };
    }
  }
  const inFile = new Map<number, string>();
  let prevMac = ZERO_MAC;
  let prevSeq = 0;
  for (const cp of file) {
    if (cp.prevMac !== prevMac || cp.seq <= prevSeq) {
      return { ok: false, firstBadSeq: cp.seq, reason: 'checkpoint-log-broken' };
    }
    inFile.set(cp.seq, cp.mac);
    prevMac = cp.mac;
    prevSeq = cp.seq;
  }
  for (const cp of stored) {
    if (inFile.get(cp.seq) !== cp.mac)
      return { ok: false, firstBadSeq: cp.seq, reason: 'checkpoint-log-broken' };
  }
  const bySeq = new Map(file.map((cp) => [cp.seq, cp.hash]));
  return { ok: true, bySeq, count: file.length, maxSeq: prevSeq };
}

/**
 * Walks the whole chain in pages (it may hold millions of entries) and names the first bad seq.
 * With `certification`, the chain is also held against the HSM's checkpoints: the hash at every
 * certified seq must be the certified one, and the chain must reach the last certified seq. That
 * is what a database writer cannot get past by re-hashing the chain and moving the head, and what
 * catches a database file restored from an older copy. Entries after the last checkpoint are
 * protected by the hash chain alone (`uncertifiedEntries` says how many).
 */
export async function verifyAuditChain(
  store: Queryable,
  pageSize = 2000,
  certification?: AuditCertification,
): Promise<AuditVerification> {
  const certified = certification ? await certifiedSeqs(store, certification) : undefined;
  if (certified && !certified.ok) {
    return { ok: false, entries: 0, firstBadSeq: certified.firstBadSeq, reason: certified.reason };
  }
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
      const certifiedHash = certified?.bySeq.get(entry.seq);
      if (certifiedHash !== undefined && certifiedHash !== entry.hash) {
        return { ok: false, entries: expectedSeq - 1, firstBadSeq: entry.seq, reason: 'checkpoint-mismatch' };
      }
      prevHash = entry.hash;
      lastSeq = entry.seq;
      expectedSeq++;
    }
    if (rows.length < pageSize) break;
  }
  if (certified && lastSeq < certified.maxSeq) {
    return { ok: false, entries: lastSeq, firstBadSeq: lastSeq + 1, reason: 'truncated' };
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
  return {
    ok: true,
    entries: lastSeq,
    headSeq: lastSeq,
    headHash: prevHash,
    ...(certified
      ? {
          checkpoints: certified.count,
          certifiedSeq: certified.maxSeq,
          uncertifiedEntries: lastSeq - certified.maxSeq,
        }
      : {}),
  };
}

export async function listAudit(store: Queryable, afterSeq: number, limit: number): Promise<AuditEntry[]> {
  const rows = await store.all<AuditRow>(
    `SELECT seq, at, terminal_id, operator_id, action, subject, result, details, prev_hash, hash
     FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
    [afterSeq],
  );
  return rows.map(fromRow);
}
