import type { TransactionConnection } from './database.js';
import type { Mutex } from './mutex.js';

interface Pending<C> {
  fn: (tx: C) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Transactions in one group at most; more wait for the next one. */
const DEFAULT_MAX_GROUP = 64;

/**
 * Group commit for one sqlite3 write connection: transactions that ask while another group is
 * being written are run together, one after another, in one `BEGIN IMMEDIATE` … `COMMIT`, so that
 * a whole group costs one sync of the log instead of one per transaction (with
 * `synchronous = FULL` the sync is most of a small transaction's time). sqlite3 runs one writer at
 * a time anyway, so nothing that could have run beside another waits longer than it did.
 *
 * Each transaction runs in a SAVEPOINT of its own: one that throws is rolled back alone and its
 * caller gets the error at once, and the others carry on. Every other caller's promise settles only
 * after the group's COMMIT has returned, so an answer never goes out before what it reports is on
 * disk; if the COMMIT fails, every transaction of the group fails with it and nothing of the group
 * stays. A transaction sees what the ones before it in its group wrote, as it would had they
 * committed just before it.
 *
 * A group starts as soon as the connection's lock is free (no added wait when idle, and the first
 * transaction of a group runs without a savepoint); what arrives while it is written forms the next group, so
 * groups grow with the load. The lock is the connection's FIFO lock, which other writers (single
 * statements, a bulk load) take too.
 */
export class GroupCommit<C extends TransactionConnection> {
  private queue: Pending<C>[] = [];
  /** A group has asked for the lock or holds it; arrivals join the queue it will take. */
  private scheduled = false;

  constructor(
    private readonly conn: C,
    private readonly mutex: Mutex,
    private readonly maxGroup = DEFAULT_MAX_GROUP,
  ) {}

  transaction<T>(fn: (tx: C) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    void this.mutex.lock(async () => {
      try {
        await this.write(this.queue.splice(0, this.maxGroup));
      } finally {
        this.scheduled = false;
        this.schedule();
      }
    });
  }

  /** Runs the group's transactions and commits them together; never throws. */
  private async write(group: Pending<C>[]): Promise<void> {
    /** Members that ran in the open transaction, answered at its commit. */
    const done: { p: Pending<C>; value: unknown }[] = [];
    let open = false;
    for (let i = 0; i < group.length; i++) {
      const p = group[i]!;
      // The first member of a transaction runs without a savepoint: if it throws, rolling the
      // whole transaction back undoes it alone. Savepoints are not released: the next one nests
      // inside, a ROLLBACK TO goes back to the latest, and the COMMIT keeps them all.
      const first = !open;
      try {
        await this.conn.run(first ? 'BEGIN IMMEDIATE' : 'SAVEPOINT member');
        open = true;
      } catch (e) {
        if (!first) return this.abandon(done, e, group.slice(i));
        for (const q of group.slice(i)) q.reject(e);
        return;
      }
      try {
        done.push({ p, value: await p.fn(this.conn) });
      } catch (e) {
        p.reject(e);
        try {
          await this.conn.run(first ? 'ROLLBACK' : 'ROLLBACK TO member');
          if (first) open = false;
        } catch (undo) {
          // The engine has ended the transaction itself (an I/O error, a full disk): what the
          // members before wrote is gone with it.
          return this.abandon(done, undo, group.slice(i + 1));
        }
      }
    }
    if (!open) return;
    try {
      await this.conn.run('COMMIT');
    } catch (e) {
      return this.abandon(done, e, []);
    }
    for (const d of done) d.p.resolve(d.value);
  }

  /**
   * Gives up a transaction that cannot commit: its members fail with `error` and nothing of them
   * stays; `rest`, not run yet, waits for the next group.
   */
  private async abandon(done: { p: Pending<C> }[], error: unknown, rest: Pending<C>[]): Promise<void> {
    await this.conn.run('ROLLBACK').catch(() => undefined);
    for (const d of done) d.p.reject(error);
    this.queue.unshift(...rest);
  }
}
