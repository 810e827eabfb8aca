import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';
import {
  type AuditEntry,
  type AuditHead,
  type AuditInput,
  appendAuditAfter,
  appendAuditBatch,
} from './audit-log.js';
import { canonicalJson } from './canonical-json.js';

interface Pending {
  input: AuditInput;
  at: string;
  resolve(entry: AuditEntry): void;
  reject(error: unknown): void;
}

export interface AuditWriterOptions {
  /** Entries per transaction at most; more wait for the next one. */
  maxBatch?: number;
}

/**
 * Group commit for audit entries that record no change of their own (identity checks): the
 * entries of concurrent requests are appended to the chain in one transaction with one head
 * update, and each caller's promise settles when that transaction has committed, so an answer
 * never goes out before its entry is durable. One transaction is in flight at a time: it
 * starts as soon as the first entry arrives (no added latency when idle), and whatever arrives
 * while it commits forms the next batch, so batches grow with load instead of the head row
 * serialising every request.
 *
 * Chain order is the order of `append` calls in this process; across processes the head row
 * lock orders whole batches. A failed transaction rolls back its whole batch and rejects every
 * one of its callers; nothing of it stays in the chain, and the next batch starts from the head
 * as committed.
 *
 * On PostgreSQL a batch is first tried as one statement after the head this writer last
 * committed (`appendAuditAfter`: the head moves only if it is still there, so no explicit
 * transaction and no round trips for BEGIN, the head read and COMMIT); when something else has
 * appended since (a lifecycle change, another process), nothing is written and the batch goes
 * through the transaction that reads the head afresh under its lock.
 *
 * Entries that belong to a state change do not come here: they are written with
 * `appendAudit` inside the change's own transaction.
 */
export class AuditWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly maxBatch: number;
  private closed = false;
  /** The head as this writer last committed it; unknown at first and after a failure. */
  private head: AuditHead | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    options: AuditWriterOptions = {},
  ) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
  }

  /** Resolves with the entry as committed (its seq and hash) once its transaction has committed. */
  append(input: AuditInput): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(new Error('the audit writer is closed'));
    // An entry that cannot be hashed must fail alone, not take its batch with it.
    canonicalJson(input.details ?? {});
    return new Promise<AuditEntry>((resolve, reject) => {
      this.queue.push({ input, at: this.clock().toISOString(), resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Waits for every entry already appended to commit (or fail), then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        let entries: AuditEntry[];
        try {
          entries = await this.write(batch.map((p) => ({ ...p.input, at: p.at })));
        } catch (e) {
          this.head = undefined;
          for (const p of batch) p.reject(e);
          continue;
        }
        const last = entries[entries.length - 1]!;
        this.head = { seq: last.seq, hash: last.hash };
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(entries[i]!);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async write(inputs: (AuditInput & { at: string })[]): Promise<AuditEntry[]> {
    if (this.store.dialect === 'postgres' && this.head !== undefined) {
      const entries = await appendAuditAfter(this.store, this.head, inputs);
      if (entries !== undefined) return entries;
    }
    return this.store.transaction((tx) => appendAuditBatch(tx, inputs));
  }
}
