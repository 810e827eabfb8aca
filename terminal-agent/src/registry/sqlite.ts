import { closeDatabase, inTransaction, Mutex, openDatabase as openSqlite } from '@sscard/sqlite-db';
import type sqlite3 from 'sqlite3';

/**
 * The journal's sqlite3 connection: promise wrappers over it, behind the FIFO lock and with the
 * transaction wrapper of `@sscard/sqlite-db` (card-service's store uses the same two).
 */
export type SqlValue = string | number | null;

export interface Connection {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number; lastID: number }>;
  exec(sql: string): Promise<void>;
}

export interface Database extends Connection {
  /** BEGIN IMMEDIATE … COMMIT around `fn`: the write lock is taken up front, so no upgrade deadlock. */
  transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function connection(db: sqlite3.Database): Connection {
  return {
    all: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T[]>((res, rej) => db.all(sql, params, (err, rows) => (err ? rej(err) : res(rows as T[])))),
    get: <T>(sql: string, params: readonly SqlValue[] = []) =>
      new Promise<T | undefined>((res, rej) =>
        db.get(sql, params, (err, row) => (err ? rej(err) : res(row as T | undefined))),
      ),
    run: (sql: string, params: readonly SqlValue[] = []) =>
      new Promise((res, rej) =>
        db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) rej(err);
          else res({ changes: this.changes, lastID: this.lastID });
        }),
      ),
    exec: (sql: string) => new Promise<void>((res, rej) => db.exec(sql, (err) => (err ? rej(err) : res()))),
  };
}

export async function openDatabase(file: string): Promise<Database> {
  const db = await openSqlite(file);
  const conn = connection(db);
  const mutex = new Mutex();
  let closed = false;
  return {
    all: (sql, params) => mutex.lock(() => conn.all(sql, params)),
    get: (sql, params) => mutex.lock(() => conn.get(sql, params)),
    run: (sql, params) => mutex.lock(() => conn.run(sql, params)),
    exec: (sql) => mutex.lock(() => conn.exec(sql)),
    transaction: (fn) => mutex.lock(() => inTransaction(conn, fn)),
    close: () =>
      mutex.lock(async () => {
        if (closed) return;
        closed = true;
        await closeDatabase(db);
      }),
  };
}
