import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type sqlite3 from 'sqlite3';
import { closeDatabase, execSql, inTransaction, Mutex, openDatabase } from './index.js';

describe('sqlite3 transactions behind a FIFO lock', () => {
  let dir: string;
  let db: sqlite3.Database;
  const run = (sql: string, params: unknown[] = []) =>
    new Promise<void>((res, rej) => db.run(sql, params, (err) => (err ? rej(err) : res())));
  const count = () =>
    new Promise<number>((res, rej) =>
      db.get('SELECT COUNT(*) AS n FROM t', (err, row: { n: number }) => (err ? rej(err) : res(row.n))),
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-sqlite-db-'));
    db = await openDatabase(join(dir, 'test.db'));
    await execSql(db, 'CREATE TABLE t (v INTEGER NOT NULL)');
  });
  after(async () => {
    await closeDatabase(db);
    await rm(dir, { recursive: true, force: true });
  });

  it('commits what the transaction wrote', async () => {
    const answer = await inTransaction({ run }, async (tx) => {
      await tx.run('INSERT INTO t VALUES (1)');
      return 'done';
    });
    assert.equal(answer, 'done');
    assert.equal(await count(), 1);
  });

  it('rolls everything back when the transaction throws, and rethrows', async () => {
    await assert.rejects(
      inTransaction({ run }, async (tx) => {
        await tx.run('INSERT INTO t VALUES (2)');
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await count(), 1);
  });

  it('runs lock holders one after another, in the order they asked', async () => {
    const mutex = new Mutex();
    const order: string[] = [];
    const slow = mutex.lock(async () => {
      order.push('a begins');
      await new Promise((r) => setTimeout(r, 20));
      order.push('a ends');
    });
    const next = mutex.lock(async () => {
      order.push('b');
    });
    const failing = mutex.lock(async () => {
      throw new Error('c fails');
    });
    const last = mutex.lock(async () => {
      order.push('d');
    });
    await Promise.all([slow, next, assert.rejects(failing, /c fails/), last]);
    assert.deepEqual(order, ['a begins', 'a ends', 'b', 'd']);
  });
});
