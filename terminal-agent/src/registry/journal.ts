import { chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Database, openDatabase } from './sqlite.js';

/**
 * The terminal's outbox journal (DESIGN.md §3): every state-changing request is written here,
 * durably, before it is sent, and marked answered with the service's answer afterwards. The
 * request's idempotency key is the terminal id and a sequence number that only ever grows, so a
 * request resent after a crash carries the key the service already stored, and the service
 * answers with the stored result instead of acting twice.
 *
 * Durability: WAL with `synchronous=FULL` fsyncs the log on every commit, so an entry that
 * `append` has returned survives a power cut. The sequence is kept in its own table rather than
 * derived from MAX(seq), so that pruning answered entries can never hand out a used key again.
 */

export type JournalMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface JournalRequest {
  /** What the request does, in words the operator's status view shows (`reportTemporaryLoss`). */
  operation: string;
  method: JournalMethod;
  /** Path on the service, e.g. `/v1/cards/X00000019/temporary-loss`. */
  path: string;
  /** JSON body; stored as text, sent byte for byte the same on every attempt. */
  body: unknown;
}

export interface JournalAnswer {
  /** HTTP status the service answered with. */
  status: number;
  /** The answer's JSON body (the result, or the service's problem). */
  body: unknown;
  answeredAt: string;
}

export interface JournalEntry extends JournalRequest {
  terminalId: string;
  seq: number;
  idempotencyKey: string;
  state: 'pending' | 'answered';
  /** Sends started, including any that a crash interrupted. */
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  /** Why the last attempt got no answer (a RegistryError code and message). */
  lastError: string | null;
  /** Attempts the service answered with a 5xx, in a row: its transaction failed on this request. */
  serverErrors: number;
  /**
   * Set when the entry kept failing with 5xx and was taken out of the resend passes: still
   * unanswered, kept for an operator (`sscard outbox`), never dropped.
   */
  parked: { at: string; reason: string } | null;
  answer: JournalAnswer | null;
}

/**
 * The key the service stores with the result: terminal id and sequence. The sequence is
 * zero-padded so that keys sort in the order they were issued when an operator lists them.
 */
export function idempotencyKey(terminalId: string, seq: number): string {
  return `${terminalId}:${String(seq).padStart(10, '0')}`;
}

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sequences (
  terminal_id TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  terminal_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  operation TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'answered')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  last_attempt_at TEXT,
  last_error TEXT,
  answer_status INTEGER,
  answer_body TEXT,
  answered_at TEXT,
  PRIMARY KEY (terminal_id, seq)
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (terminal_id, state, seq);
`;

/** Version 2: entries that keep failing with 5xx are parked instead of holding up the others. */
const PARKING = `
ALTER TABLE outbox ADD COLUMN server_errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN parked_at TEXT;
ALTER TABLE outbox ADD COLUMN parked_reason TEXT;
CREATE INDEX IF NOT EXISTS outbox_answered ON outbox (state, answered_at);
`;

interface OutboxRow {
  terminal_id: string;
  seq: number;
  operation: string;
  method: string;
  path: string;
  body: string;
  state: 'pending' | 'answered';
  attempts: number;
  created_at: string;
  last_attempt_at: string | null;
  last_error: string | null;
  server_errors: number;
  parked_at: string | null;
  parked_reason: string | null;
  answer_status: number | null;
  answer_body: string | null;
  answered_at: string | null;
}

function toEntry(row: OutboxRow): JournalEntry {
  return {
    terminalId: row.terminal_id,
    seq: row.seq,
    idempotencyKey: idempotencyKey(row.terminal_id, row.seq),
    operation: row.operation,
    method: row.method as JournalMethod,
    path: row.path,
    body: JSON.parse(row.body),
    state: row.state,
    attempts: row.attempts,
    createdAt: row.created_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
    serverErrors: row.server_errors,
    parked: row.parked_at === null ? null : { at: row.parked_at, reason: row.parked_reason ?? '' },
    answer:
      row.state === 'answered'
        ? {
            status: row.answer_status ?? 0,
            body: row.answer_body === null ? null : JSON.parse(row.answer_body),
            answeredAt: row.answered_at ?? '',
          }
        : null,
  };
}

export interface JournalOptions {
  /** The terminal whose sequence this journal hands out (the id in the terminal's certificate). */
  terminalId: string;
  now?: () => Date;
}

export class OutboxJournal {
  private constructor(
    private readonly db: Database,
    readonly terminalId: string,
    private readonly now: () => Date,
  ) {}

  /** Opens (creating if needed) the journal file, readable by its owner only. */
  static async open(file: string, options: JournalOptions): Promise<OutboxJournal> {
    if (!options.terminalId) throw new TypeError('a terminal id is needed to issue idempotency keys');
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const db = await openDatabase(file);
    try {
      await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;');
      const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode');
      // WAL is refused on some file systems (network mounts); FULL alone is still crash-safe.
      if (mode?.journal_mode !== 'wal' && mode?.journal_mode !== 'delete') {
        throw new Error(`journal ${file}: unexpected journal mode ${mode?.journal_mode}`);
      }
      const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new Error(`journal ${file} has schema version ${version}, newer than this agent understands`);
      }
      await db.transaction(async (tx) => {
        await tx.exec(SCHEMA);
        if (version < 2) await tx.exec(PARKING);
        await tx.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
      });
      await chmod(file, 0o600);
    } catch (e) {
      await db.close();
      throw e;
    }
    return new OutboxJournal(db, options.terminalId, options.now ?? (() => new Date()));
  }

  /**
   * Writes the request with the next sequence number and returns once it is on disk. Nothing may
   * be sent before this returns: a request the journal does not hold cannot be resent.
   */
  async append(request: JournalRequest): Promise<JournalEntry> {
    const body = JSON.stringify(request.body ?? null);
    const createdAt = this.now().toISOString();
    const seq = await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO sequences (terminal_id, last_seq) VALUES (?, 1)
         ON CONFLICT (terminal_id) DO UPDATE SET last_seq = last_seq + 1`,
        [this.terminalId],
      );
      const row = await tx.get<{ last_seq: number }>('SELECT last_seq FROM sequences WHERE terminal_id = ?', [
        this.terminalId,
      ]);
      const next = row!.last_seq;
      await tx.run(
        `INSERT INTO outbox (terminal_id, seq, operation, method, path, body, state, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)`,
        [this.terminalId, next, request.operation, request.method, request.path, body, createdAt],
      );
      return next;
    });
    return (await this.get(seq))!;
  }

  /** Counts a send before it starts, so that the status view shows requests a crash interrupted. */
  async recordAttempt(seq: number): Promise<void> {
    await this.db.run(
      `UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?
       WHERE terminal_id = ? AND seq = ? AND state = 'pending'`,
      [this.now().toISOString(), this.terminalId, seq],
    );
  }

  /** Notes why an attempt got no answer; the entry stays pending. */
  async recordFailure(seq: number, reason: string): Promise<void> {
    await this.db.run(
      `UPDATE outbox SET last_error = ? WHERE terminal_id = ? AND seq = ? AND state = 'pending'`,
      [reason, this.terminalId, seq],
    );
  }

  /**
   * Notes a 5xx answer: the service got the request and its transaction failed. Returns how many
   * attempts in a row have now failed so.
   */
  async recordServerError(seq: number, reason: string): Promise<number> {
    await this.db.run(
      `UPDATE outbox SET last_error = ?, server_errors = server_errors + 1
       WHERE terminal_id = ? AND seq = ? AND state = 'pending'`,
      [reason, this.terminalId, seq],
    );
    return (await this.get(seq))?.serverErrors ?? 0;
  }

  /** Takes an entry out of the resend passes, with the reason an operator will read. */
  async park(seq: number, reason: string): Promise<void> {
    await this.db.run(
      `UPDATE outbox SET parked_at = ?, parked_reason = ?
       WHERE terminal_id = ? AND seq = ? AND state = 'pending' AND parked_at IS NULL`,
      [this.now().toISOString(), reason, this.terminalId, seq],
    );
  }

  /** The sequence of one of this terminal's keys, or undefined for a key that is not one. */
  seqOfKey(key: string): number | undefined {
    const prefix = `${this.terminalId}:`;
    if (!key.startsWith(prefix)) return undefined;
    const digits = key.slice(prefix.length);
    return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
  }

  /** Puts a parked entry back into the resend passes (an operator fixed the cause); false if none. */
  async unpark(seq: number): Promise<boolean> {
    const { changes } = await this.db.run(
      `UPDATE outbox SET parked_at = NULL, parked_reason = NULL, server_errors = 0
       WHERE terminal_id = ? AND seq = ? AND state = 'pending' AND parked_at IS NOT NULL`,
      [this.terminalId, seq],
    );
    return changes > 0;
  }

  /**
   * Deletes answered entries answered before `before`. Pending and parked entries are never
   * pruned, and the sequence table keeps every key ever issued from being handed out again.
   */
  async prune(before: Date): Promise<number> {
    const { changes } = await this.db.run(`DELETE FROM outbox WHERE state = 'answered' AND answered_at < ?`, [
      before.toISOString(),
    ]);
    return changes;
  }

  /**
   * Stores the service's answer. The first answer wins: a late duplicate (two resends racing)
   * cannot replace it, and the service returns the same stored result for the key anyway.
   */
  async recordAnswer(seq: number, status: number, body: unknown): Promise<JournalEntry> {
    await this.db.run(
      `UPDATE outbox SET state = 'answered', answer_status = ?, answer_body = ?, answered_at = ?, last_error = NULL
       WHERE terminal_id = ? AND seq = ? AND state = 'pending'`,
      [status, JSON.stringify(body ?? null), this.now().toISOString(), this.terminalId, seq],
    );
    const entry = await this.get(seq);
    if (!entry) throw new Error(`journal has no entry ${idempotencyKey(this.terminalId, seq)}`);
    return entry;
  }

  async get(seq: number): Promise<JournalEntry | undefined> {
    const row = await this.db.get<OutboxRow>('SELECT * FROM outbox WHERE terminal_id = ? AND seq = ?', [
      this.terminalId,
      seq,
    ]);
    return row ? toEntry(row) : undefined;
  }

  /** Requests without an answer yet, oldest first: the order they must be resent in. Not parked ones. */
  async pending(): Promise<JournalEntry[]> {
    const rows = await this.db.all<OutboxRow>(
      `SELECT * FROM outbox WHERE terminal_id = ? AND state = 'pending' AND parked_at IS NULL ORDER BY seq`,
      [this.terminalId],
    );
    return rows.map(toEntry);
  }

  /** Requests taken out of the resend passes after repeated 5xx answers, oldest first. */
  async parked(): Promise<JournalEntry[]> {
    const rows = await this.db.all<OutboxRow>(
      `SELECT * FROM outbox WHERE terminal_id = ? AND state = 'pending' AND parked_at IS NOT NULL ORDER BY seq`,
      [this.terminalId],
    );
    return rows.map(toEntry);
  }

  /**
   * Pending requests written under another terminal id (the terminal was enrolled again under a
   * new id). They cannot be sent with this terminal's certificate; an operator has to settle them.
   */
  async pendingOfOtherTerminals(): Promise<JournalEntry[]> {
    const rows = await this.db.all<OutboxRow>(
      `SELECT * FROM outbox WHERE terminal_id <> ? AND state = 'pending' ORDER BY terminal_id, seq`,
      [this.terminalId],
    );
    return rows.map(toEntry);
  }

  /** This terminal's entries of the given operations, answered or not, oldest first. */
  async entriesOf(operations: readonly string[]): Promise<JournalEntry[]> {
    if (operations.length === 0) return [];
    const rows = await this.db.all<OutboxRow>(
      `SELECT * FROM outbox WHERE terminal_id = ? AND operation IN (${operations.map(() => '?').join(', ')}) ORDER BY seq`,
      [this.terminalId, ...operations],
    );
    return rows.map(toEntry);
  }

  /** The most recent entries, newest first. */
  async recent(limit = 50): Promise<JournalEntry[]> {
    const rows = await this.db.all<OutboxRow>(
      'SELECT * FROM outbox WHERE terminal_id = ? ORDER BY seq DESC LIMIT ?',
      [this.terminalId, limit],
    );
    return rows.map(toEntry);
  }

  /** The last sequence number handed out (0 before the first request). */
  async lastSequence(): Promise<number> {
    const row = await this.db.get<{ last_seq: number }>(
      'SELECT last_seq FROM sequences WHERE terminal_id = ?',
      [this.terminalId],
    );
    return row?.last_seq ?? 0;
  }

  /** The durability settings in force on the journal's connection, for the status view and its tests. */
  async durability(): Promise<{ journalMode: string; synchronous: 'off' | 'normal' | 'full' | 'extra' }> {
    const mode = await this.db.get<{ journal_mode: string }>('PRAGMA journal_mode');
    const sync = await this.db.get<{ synchronous: number }>('PRAGMA synchronous');
    const names = ['off', 'normal', 'full', 'extra'] as const;
    return { journalMode: mode?.journal_mode ?? '', synchronous: names[sync?.synchronous ?? 0] ?? 'off' };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
