import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import {
  type AuditEntry,
  type AuditHead,
  type AuditInput,
  type TimedAuditInput,
  appendAuditAfter,
  appendAuditBatch,
  appendDeferredAndBatch,
} from './audit-log.js';
import { canonicalJson } from './canonical-json.js';

interface PendingEntry {
  input: AuditInput;
  at: string;
  /** The details' canonical JSON, computed once for the check at `append` and the hash. */
  detailsJson: string;
  resolve(entry: AuditEntry): void;
  reject(error: unknown): void;
}

/** A caller of `chainDeferred`, waiting for a batch that takes the deferred entries. */
interface DeferredWaiter {
  input?: undefined;
  resolve(): void;
  reject(error: unknown): void;
}

type Pending = PendingEntry | DeferredWaiter;

export interface AuditWriterOptions {
  /** Entries per transaction at most; more wait for the next one. */
  maxBatch?: number;
  /** Told the last seq of each committed batch (the checkpointer's cue); must not block. */
  onCommitted?: (seq: number) => void;
}

/**
 * Group commit for audit entries that record no change of their own (identity checks): the
 * entries of concurrent requests are appended to the chain in one statement (or transaction) with
 * one head update, and each caller's promise settles when it has committed, so an answer never
 * goes out before its entry is durable. One batch is in flight at a time: it starts as soon as the
 * first entry arrives (no added latency when idle), and whatever arrives while it commits forms
 * the next batch, so batches grow with load instead of the head row serialising every request.
 *
 * Chain order is the order of `append` calls in this process; across processes the head row
 * orders whole batches. A failed write rolls back its whole batch and rejects every one of its
 * callers; nothing of it stays in the chain, and the next batch starts from the head as committed.
 *
 * A batch is first tried as one statement after the head this writer last committed
 * (`appendAuditAfter`: no explicit transaction, so no round trips or thread-pool trips for BEGIN,
 * the head read, the head update and COMMIT — on sqlite3 that is one trip and one sync instead of
 * five trips); when something else has appended since (a lifecycle change, another process),
 * nothing is written and the batch goes through the transaction that reads the head afresh under
 * its lock. The first batch after start or after a failure takes that transaction too.
 *
 * Entries that belong to a state change do not come here: they are written with
 * `appendAudit` inside the change's own transaction, or recorded there with `deferAudit` and
 * chained by the batch that follows `chainDeferred` (a batch that takes deferred entries always
 * goes through the transaction).
 */
export class AuditWriter {
  private queue: Pending[] = [];
  /** A batch is being written; the entries in `queue` wait for it. */
  private writing = false;
  /** Callers of `close` waiting for the last batch. */
  private readonly idle: (() => void)[] = [];
  private readonly maxBatch: number;
  private closed = false;
  /** The head as this writer last committed it; unknown at first and after a failure. */
  private head: AuditHead | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: AuditWriterOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
  }

  /** Resolves with the entry as committed (its seq and hash) once its batch has committed. */
  append(input: AuditInput): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(new Error('the audit writer is closed'));
    // An entry that cannot be hashed must fail alone, not take its batch with it.
    const detailsJson = canonicalJson(input.details ?? {});
    return new Promise<AuditEntry>((resolve, reject) => {
      this.queue.push({ input, at: this.clock().toISOString(), detailsJson, resolve, reject });
      if (!this.writing) this.next();
    });
  }

  /**
   * Resolves once every entry deferred (`deferAudit`) by a change committed before this call is in
   * the chain, committed: the next batch takes them, before the entries appended with it.
   */
  chainDeferred(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the audit writer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ resolve, reject });
      if (!this.writing) this.next();
    });
  }

  /** Waits for every entry already appended to commit (or fail), then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.writing) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Writes what is queued as one batch, or marks the writer idle when nothing is. */
  private next(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    this.writing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const appended = batch.filter((p): p is PendingEntry => p.input !== undefined);
    const waiters = batch.filter((p): p is DeferredWaiter => p.input === undefined);
    this.write(
      appended.map((p) => ({ ...p.input, at: p.at, detailsJson: p.detailsJson })),
      waiters.length > 0,
    ).then(
      ({ entries, last }) => {
        this.head = last;
        this.options.onCommitted?.(last.seq);
        // The next batch goes to the store before this one's callers are answered, so that its
        // commit and sync overlap the work of sending their answers instead of following it.
        this.next();
        for (let i = 0; i < appended.length; i++) appended[i]!.resolve(entries[i]!);
        for (const w of waiters) w.resolve();
      },
      (error: unknown) => {
        this.head = undefined;
        this.next();
        for (const p of batch) p.reject(error);
      },
    );
  }

  /** The batch's entries, and the head as the batch committed it. */
  private async write(
    inputs: TimedAuditInput[],
    takeDeferred: boolean,
  ): Promise<{ entries: AuditEntry[]; last: AuditHead }> {
    const headAfter = (entries: AuditEntry[]) => {
      const last = entries[entries.length - 1]!;
      return { entries, last: { seq: last.seq, hash: last.hash } };
    };
    if (takeDeferred) {
      return this.store.transaction(async (tx) => {
        const { entries, head } = await appendDeferredAndBatch(tx, inputs);
        return { entries, last: head };
      });
    }
    if (this.head !== undefined) {
      const entries = await appendAuditAfter(this.store, this.head, inputs);
      if (entries !== undefined) return headAfter(entries);
    }
    return headAfter(await this.store.transaction((tx) => appendAuditBatch(tx, inputs)));
  }
}
