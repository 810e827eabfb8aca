import sqlite3 from 'sqlite3';

/**
 * Promise wrappers over one sqlite3 connection, with a FIFO lock so that a transaction never
 * interleaves with another caller's statements on the same connection.
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
  const db = await new Promise<sqlite3.Database>((res, rej) => {
    const d = new sqlite3.Database(file, (err) => (err ? rej(err) : res(d)));
  });
  const conn = connection(db);
  const mutex = new Mutex();
  let closed = false;
  return {
    all: (sql, params) => mutex.lock(() => conn.all(sql, params)),
    get: (sql, params) => mutex.lock(() => conn.get(sql, params)),
    run: (sql, params) => mutex.lock(() => conn.run(sql, params)),
    exec: (sql) => mutex.lock(() => conn.exec(sql)),
    transaction: (fn) =>
      mutex.lock(async () => {
        await conn.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(conn);
          await conn.exec('COMMIT');
          return result;
        } catch (e) {
          await conn.exec('ROLLBACK').catch(() => undefined);
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
