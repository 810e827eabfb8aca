import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  closeDatabase as close,
  execSql as exec,
  GroupCommit,
  inTransaction,
  Mutex,
  openDatabase as open,
} from '@sscard/sqlite-db';
import sqlite3 from 'sqlite3';
import { privateDatabaseFile } from '../secure-paths.js';
import type { Queryable, RunResult, SqlValue, Store } from './store.js';

/** Prepared statements per connection; past this many, further SQL texts run unprepared. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * A connection with its prepared statements kept: the statements a service runs are few and
 * repeated, and preparing each anew costs a parse and two more trips to the thread pool. Statements
 * are never evicted (one could be in use), so the cache stops growing at its size instead. Every
 * statement runs to completion (`all`, `run`), which ends its implicit read transaction; `get`
 * reads all rows for that reason, and is only used for queries of one row.
 */
interface Connection extends Queryable {
  /** Finalizes the prepared statements; call before closing the database. */
  finalize(): Promise<void>;
}

function connectionQueryable(db: sqlite3.Database): Connection {
  /** Statements being prepared, by SQL text; a failed one is dropped so the next use retries. */
  const preparing = new Map<string, Promise<sqlite3.Statement>>();
  /** Statements ready to run, used without waiting for a promise. */
  const prepared = new Map<string, sqlite3.Statement>();
  const prepare = (sql: string): Promise<sqlite3.Statement> | undefined => {
    let st = preparing.get(sql);
    if (st === undefined && preparing.size < STATEMENT_CACHE_SIZE) {
      st = new Promise((res, rej) => {
        const statement = db.prepare(sql, (err) => {
          if (err) {
            preparing.delete(sql);
            rej(err);
          } else {
            prepared.set(sql, statement);
            res(statement);
          }
        });
      });
      preparing.set(sql, st);
    }
    return st;
  };
  const allOn = <T>(target: sqlite3.Statement, params: readonly SqlValue[]): Promise<T[]> =>
    new Promise<T[]>((res, rej) => target.all(params, (err, rows) => (err ? rej(err) : res(rows as T[]))));
  const runOn = (target: sqlite3.Database | sqlite3.Statement, sql: string, params: readonly SqlValue[]) =>
    new Promise<RunResult>((res, rej) => {
      const done = function (this: sqlite3.RunResult, err: Error | null) {
        if (err) rej(err);
        else res({ changes: this.changes });
      };
      if (target instanceof sqlite3.Statement) target.run(params, done);
      else target.run(sql, params, done);
    });
  const all = <T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> => {
    const ready = prepared.get(sql);
    if (ready !== undefined) return allOn<T>(ready, params);
    const st = prepare(sql);
    if (st === undefined) {
      return new Promise<T[]>((res, rej) =>
        db.all(sql, params, (err, rows) => (err ? rej(err) : res(rows as T[]))),
      );
    }
    return st.then((statement) => allOn<T>(statement, params));
  };
  const run = (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => {
    const ready = prepared.get(sql);
    if (ready !== undefined) return runOn(ready, sql, params);
    const st = prepare(sql);
    if (st === undefined) return runOn(db, sql, params);
    return st.then((statement) => runOn(statement, sql, params));
  };
  return {
    dialect: 'sqlite',
    all,
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => (await all<T>(sql, params))[0],
    run,
    finalize: async () => {
      const statements = await Promise.allSettled(preparing.values());
      preparing.clear();
      prepared.clear();
      for (const s of statements) {
        if (s.status === 'fulfilled') await new Promise<void>((res) => s.value.finalize(() => res()));
      }
    },
  };
}

/**
 * The bulk-load connection's settings: commits durable at the next sync rather than each (WAL
 * keeps them atomic and in order), 256 MiB of page cache, temporary b-trees in memory.
 */
const BULK_PRAGMAS = 'PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;';

/**
 * Statements that change rows. Run on their own they join a group commit; others (PRAGMA, VACUUM)
 * may not run inside a transaction, so they run alone.
 */
const CHANGES_ROWS = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

/** A read connection and the statements queued on it, so reads go where the queue is shortest. */
interface Reader {
  conn: Connection;
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
 * answer that is only sent after its audit entry committed relies on. Transactions that arrive
 * while one is being written are committed together (`GroupCommit`, each in a savepoint of its own,
 * each answered after the common commit), a single write outside a transaction (a card-present
 * challenge) joins such a group too, and audit entries of identity checks are batched, so that
 * under load a sync serves many requests.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    privateDatabaseFile(file);
  }
  const db = await open(file);
  await exec(
    db,
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;',
  );
  const conn = connectionQueryable(db);
  const mutex = new Mutex();
  const group = new GroupCommit(conn, mutex);
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
  const read = <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => {
    if (readers.length === 0) return mutex.lock(() => fn(conn));
    let r = readers[0]!;
    for (const c of readers) if (c.pending < r.pending) r = c;
    const reader = r;
    reader.pending++;
    const done = () => {
      reader.pending--;
    };
    let result: Promise<T>;
    try {
      result = fn(reader.conn);
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(done, done);
    return result;
  };
  // Bulk loads write through a connection of their own, opened on first use: commits that need not
  // be on disk when they return (the load's checkpoint row commits with each batch, so a crash
  // resumes after the last batch that reached the disk) and a page cache large enough for the
  // indexes a load of millions of rows keeps inserting into. It shares the writer's lock.
  let bulk: { db: sqlite3.Database; conn: Connection } | undefined;
  const bulkConnection = async () => {
    if (bulk) return bulk.conn;
    const bdb = await open(file);
    try {
      await exec(bdb, `PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; ${BULK_PRAGMAS}`);
    } catch (e) {
      await close(bdb).catch(() => undefined);
      throw e;
    }
    bulk = { db: bdb, conn: connectionQueryable(bdb) };
    return bulk.conn;
  };
  let closed = false;
  return {
    dialect: 'sqlite',
    all: (sql, params) => read((q) => q.all(sql, params)),
    get: (sql, params) => read((q) => q.get(sql, params)),
    // A write outside a transaction commits with the next group instead of paying a sync of its own.
    run: (sql, params) =>
      CHANGES_ROWS.test(sql)
        ? group.transaction((tx) => tx.run(sql, params))
        : mutex.lock(() => conn.run(sql, params)),
    transaction: (fn) => group.transaction(fn),
    // An in-memory database exists only in its own connection, so its bulk loads use that one.
    bulkTransaction: (fn) =>
      mutex.lock(async () => inTransaction(file === ':memory:' ? conn : await bulkConnection(), fn)),
    close: () =>
      mutex.lock(async () => {
        if (closed) return;
        closed = true;
        for (const r of readers) {
          await r.conn.finalize();
          await close(r.db);
        }
        if (bulk) {
          await bulk.conn.finalize();
          await close(bulk.db);
        }
        await conn.finalize();
        await close(db);
      }),
  };
}
