import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type sqlite3 from 'sqlite3';
import { closeDatabase, execSql, GroupCommit, inTransaction, Mutex, openDatabase } from './index.js';

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

describe('sqlite3 group commit', () => {
  let dir: string;
  let db: sqlite3.Database;
  /** Every statement the group committer sent, and a way to make one of them fail. */
  let sent: string[];
  let failOn: string | undefined;
  const conn = {
    run: (sql: string, params: unknown[] = []) => {
      sent.push(sql.split(' ')[0]!);
      if (sql === failOn) return Promise.reject(new Error(`${sql} failed`));
      return new Promise<void>((res, rej) => db.run(sql, params, (err) => (err ? rej(err) : res())));
    },
  };
  const values = () =>
    new Promise<number[]>((res, rej) =>
      db.all('SELECT v FROM g ORDER BY v', (err, rows: { v: number }[]) =>
        err ? rej(err) : res(rows.map((r) => r.v)),
      ),
    );
  /** A transaction that writes `v`, after `hold` if given (keeping its group open meanwhile). */
  const writing = (v: number, hold?: Promise<void>) => async (tx: typeof conn) => {
    await tx.run('INSERT INTO g VALUES (?)', [v]);
    await hold;
    return v;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-group-commit-'));
    db = await openDatabase(join(dir, 'test.db'));
    await execSql(db, 'CREATE TABLE g (v INTEGER NOT NULL)');
  });
  after(async () => {
    await closeDatabase(db);
    await rm(dir, { recursive: true, force: true });
  });
  const fresh = async () => {
    await execSql(db, 'DELETE FROM g');
    sent = [];
    failOn = undefined;
  };

  it('commits the transactions that asked while a group was written in one commit, each answered after it', async () => {
    await fresh();
    const group = new GroupCommit(conn, new Mutex());
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const answered: string[] = [];
    const first = group.transaction(writing(1, held)).then((v) => answered.push(`first ${v}`));
    const later = [2, 3, 4].map((v) =>
      group.transaction(writing(v)).then((w) => answered.push(`later ${w} after ${sent.length} statements`)),
    );
    release();
    await Promise.all([first, ...later]);
    assert.deepEqual(await values(), [1, 2, 3, 4]);
    // The first alone, then the three that waited for it together (the first of them needs no
    // savepoint: the transaction's own rollback would undo it alone).
    assert.equal(sent.filter((s) => s === 'COMMIT').length, 2);
    assert.equal(sent.filter((s) => s === 'BEGIN').length, 2);
    assert.equal(sent.filter((s) => s === 'SAVEPOINT').length, 2);
    // Every later answer came after all statements, the second COMMIT included.
    for (const a of answered.slice(1)) assert.match(a, new RegExp(`after ${sent.length} statements`));
    assert.equal(sent.at(-1), 'COMMIT');
  });

  it('rolls back a member that throws alone; the rest of its group commits', async () => {
    await fresh();
    const group = new GroupCommit(conn, new Mutex());
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const refusing = (v: number) =>
      assert.rejects(
        group.transaction(async (tx) => {
          await tx.run('INSERT INTO g VALUES (?)', [v]);
          throw new Error(`refused ${v}`);
        }),
        new RegExp(`refused ${v}`),
      );
    const first = group.transaction(writing(1, held));
    // The group that waits for the first: its first member, one in the middle and its last throw.
    const rest = [
      refusing(2),
      group.transaction(writing(3)),
      refusing(4),
      group.transaction(writing(5)),
      refusing(6),
    ];
    release();
    assert.equal(await first, 1);
    await Promise.all(rest);
    assert.deepEqual(await values(), [1, 3, 5]);
  });

  it('fails every member of a group whose commit fails, and keeps none of it', async () => {
    await fresh();
    const group = new GroupCommit(conn, new Mutex());
    failOn = 'COMMIT';
    const results = await Promise.allSettled([1, 2, 3].map((v) => group.transaction(writing(v))));
    for (const r of results) assert.equal(r.status, 'rejected');
    failOn = undefined;
    assert.deepEqual(await values(), []);
    // The connection is usable again: the next group commits.
    assert.equal(await group.transaction(writing(5)), 5);
    assert.deepEqual(await values(), [5]);
  });
});
