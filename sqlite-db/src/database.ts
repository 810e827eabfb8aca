import sqlite3 from 'sqlite3';

/** sqlite3's callback calls as promises: opening, running a script and closing a database. */

export function openDatabase(file: string): Promise<sqlite3.Database> {
  return new Promise((res, rej) => {
    const d = new sqlite3.Database(file, (err) => (err ? rej(err) : res(d)));
  });
}

export function execSql(db: sqlite3.Database, sql: string): Promise<void> {
  return new Promise((res, rej) => db.exec(sql, (err) => (err ? rej(err) : res())));
}

export function closeDatabase(db: sqlite3.Database): Promise<void> {
  return new Promise((res, rej) => db.close((err) => (err ? rej(err) : res())));
}

/** What a transaction needs of a connection: a way to run its BEGIN, COMMIT and ROLLBACK. */
export interface TransactionConnection {
  run(sql: string): Promise<unknown>;
}

/**
 * BEGIN IMMEDIATE … COMMIT around `fn`, ROLLBACK when it throws. IMMEDIATE takes the write lock up
 * front, so a transaction never has to upgrade from reader to writer half-way (which deadlocks
 * against another connection doing the same). The caller holds the connection's lock.
 */
export async function inTransaction<C extends TransactionConnection, T>(
  conn: C,
  fn: (tx: C) => Promise<T>,
): Promise<T> {
  await conn.run('BEGIN IMMEDIATE');
  try {
    const result = await fn(conn);
    await conn.run('COMMIT');
    return result;
  } catch (e) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
