import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';
import type { Queryable, RunResult, SqlValue, Store } from './store.js';

/** A FIFO lock: sqlite3 has one connection here, and a transaction must not interleave with others. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  lock<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

function connectionQueryable(db: sqlite3.Database): Queryable {
  return {
    dialect: 'sqlite',
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T[]>((res, rej) => db.all(sql, params, (err, rows) => (err ? rej(err) : res(rows as T[])))),
    get: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T | undefined>((res, rej) =>
        db.get(sql, params, (err, row) => (err ? rej(err) : res(row as T | undefined))),
      ),
    run: (sql: string, params: readonly SqlValue[] = []) =>
      new Promise<RunResult>((res, rej) =>
        db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) rej(err);
          else res({ changes: this.changes });
        }),
      ),
  };
}

const exec = (db: sqlite3.Database, sql: string): Promise<void> =>
  new Promise((res, rej) => db.exec(sql, (err) => (err ? rej(err) : res())));

const open = (file: string): Promise<sqlite3.Database> =>
  new Promise((res, rej) => {
    const d = new sqlite3.Database(file, (err) => (err ? rej(err) : res(d)));
  });

const close = (db: sqlite3.Database): Promise<void> =>
  new Promise((res, rej) => db.close((err) => (err ? rej(err) : res())));

/** A read connection and the statements queued on it, so reads go where the queue is shortest. */
interface Reader {
  conn: Queryable;
  db: sqlite3.Database;
  pending: number;
}

export interface SqliteStoreOptions {
  /** Read connections beside the write connection (0 = reads share the write connection). */
  readers?: number;
}

/**
 * sqlite3 in WAL mode with foreign keys on. Other processes (the CLI importing while the service
 * runs) wait up to `busy_timeout` for the write lock instead of failing; transactions start with
 * BEGIN IMMEDIATE so that a reader never has to upgrade to a writer half-way (which deadlocks).
 *
 * One connection writes, behind a FIFO lock; reads outside a transaction go to a few read-only
 * connections of their own, which WAL lets run beside the writer and each other, so an identity
 * check's reads never queue behind a transaction. Each read statement sees everything committed
 * before it started. `synchronous = FULL`: a commit is on disk when it returns, which is what an
 * answer that is only sent after its audit entry committed relies on; group commit of audit
 * entries keeps that to one sync per batch.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = await open(file);
  await exec(
    db,
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;',
  );
  const conn = connectionQueryable(db);
  const mutex = new Mutex();
  // An in-memory database exists only in its own connection: nothing to read beside it.
  const readerCount = file === ':memory:' ? 0 : Math.max(0, options.readers ?? 2);
  const readers: Reader[] = [];
  try {
    for (let i = 0; i < readerCount; i++) {
      const rdb = await open(file);
      readers.push({ db: rdb, conn: connectionQueryable(rdb), pending: 0 });
      await exec(rdb, 'PRAGMA busy_timeout = 10000; PRAGMA query_only = ON;');
    }
  } catch (e) {
    for (const r of readers) await close(r.db).catch(() => undefined);
    await close(db).catch(() => undefined);
    throw e;
  }
  const read = async <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
    if (readers.length === 0) return mutex.lock(() => fn(conn));
    let r = readers[0]!;
    for (const c of readers) if (c.pending < r.pending) r = c;
    r.pending++;
    try {
      return await fn(r.conn);
    } finally {
      r.pending--;
    }
  };
  let closed = false;
  return {
    dialect: 'sqlite',
    all: (sql, params) => read((q) => q.all(sql, params)),
    get: (sql, params) => read((q) => q.get(sql, params)),
    run: (sql, params) => mutex.lock(() => conn.run(sql, params)),
    transaction: (fn) =>
      mutex.lock(async () => {
        await exec(db, 'BEGIN IMMEDIATE');
        try {
          const result = await fn(conn);
          await exec(db, 'COMMIT');
          return result;
        } catch (e) {
          await exec(db, 'ROLLBACK').catch(() => undefined);
          throw e;
        }
      }),
    close: () =>
      mutex.lock(async () => {
        if (closed) return;
        closed = true;
        for (const r of readers) await close(r.db);
        await close(db);
      }),
  };
}
