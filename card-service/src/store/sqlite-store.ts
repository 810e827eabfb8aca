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

/**
 * sqlite3 in WAL mode with foreign keys on. Other processes (the CLI importing while the service
 * runs) wait up to `busy_timeout` for the write lock instead of failing; transactions start with
 * BEGIN IMMEDIATE so that a reader never has to upgrade to a writer half-way (which deadlocks).
 */
export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = await new Promise<sqlite3.Database>((res, rej) => {
    const d = new sqlite3.Database(file, (err) => (err ? rej(err) : res(d)));
  });
  await exec(
    db,
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;',
  );
  const conn = connectionQueryable(db);
  const mutex = new Mutex();
  let closed = false;
  return {
    dialect: 'sqlite',
    all: (sql, params) => mutex.lock(() => conn.all(sql, params)),
    get: (sql, params) => mutex.lock(() => conn.get(sql, params)),
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
        await new Promise<void>((res, rej) => db.close((err) => (err ? rej(err) : res())));
      }),
  };
}
