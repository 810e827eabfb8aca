import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../clock.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import type { Queryable, Store } from '../store/store.js';
import { openStore } from '../store/open-store.js';
import { appendAudit, appendAuditAfter, deferAudit, listAudit, verifyAuditChain } from './audit-log.js';
import { bypassAppendOnly } from '../testing/tamper-fixture.js';
import { AuditWriter } from './audit-writer.js';

const clock = manualClock('2025-03-01T00:00:00Z');

const check = (i: number) => ({
  terminalId: `t${i}`,
  action: 'identity.check',
  subject: `card A******${i}`,
  result: 'ok',
  details: { n: i },
});

interface Instrumented extends Store {
  /** Transactions begun. */
  transactions: number;
  /** Writes outside a transaction (PostgreSQL's one-statement append). */
  statements: number;
  /** Makes the next write fail: a transaction after its inserts, or a statement before it runs. */
  failNext: 'transaction' | 'statement' | undefined;
}

function instrumented(inner: Store): Instrumented {
  const wrapped: Instrumented = {
    ...inner,
    transactions: 0,
    statements: 0,
    failNext: undefined,
    run: async (sql, params) => {
      wrapped.statements++;
      if (wrapped.failNext === 'statement') {
        wrapped.failNext = undefined;
        throw new Error('connection reset');
      }
      return inner.run(sql, params);
    },
    transaction: <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      wrapped.transactions++;
      const fail = wrapped.failNext === 'transaction';
      if (fail) wrapped.failNext = undefined;
      return inner.transaction((tx) =>
        fn(
          !fail
            ? tx
            : {
                ...tx,
                dialect: tx.dialect,
                run: async (sql, params) => {
                  const done = await tx.run(sql, params);
                  // Fails after the batch's rows are inserted: the rollback must take them away.
                  if (sql.startsWith('INSERT INTO audit_log')) throw new Error('disk full');
                  return done;
                },
              },
        ),
      );
    },
  };
  return wrapped;
}

const external = (store: Store, n: number) =>
  store.transaction((tx) =>
    appendAudit(tx, clock, { operatorId: 'op', action: 'card.lose', subject: `card ${n}`, result: 'ok' }),
  );

forEachEngine('audit writer (group commit)', ({ engine, open, freshUrl, dataDir }) => {
  test('concurrent appends form one valid chain in the order they were made', async () => {
    const store = await open();
    const writer = new AuditWriter(store, clock);
    const entries = await Promise.all(Array.from({ length: 300 }, (_, i) => writer.append(check(i + 1))));
    entries.forEach((e, i) => {
      assert.equal(e.seq, i + 1);
      assert.equal(e.subject, `card A******${i + 1}`);
    });
    const verdict = await verifyAuditChain(store, 64);
    assert.equal(verdict.ok, true);
    if (verdict.ok) {
      assert.equal(verdict.entries, 300);
      assert.equal(verdict.headHash, entries[299]!.hash);
    }
    const stored = await listAudit(store, 0, 1000);
    assert.deepEqual(
      stored.map((e) => e.terminalId),
      entries.map((e) => e.terminalId),
    );
  });

  test('entries arriving while a batch commits share the next write', async () => {
    const store = instrumented(await open());
    const writer = new AuditWriter(store, clock, { maxBatch: 40 });
    await Promise.all(Array.from({ length: 201 }, (_, i) => writer.append(check(i))));
    // The first entry is written at once; the other 200 wait for it and go in batches of 40.
    // After the first batch the writer knows the head: one statement per batch, no transaction.
    assert.equal(store.transactions, 1);
    assert.equal(store.statements, 5);
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  test('entries deferred by committed changes are chained by the next batch, in the order they were recorded, before its own', async () => {
    const store = await open();
    const writer = new AuditWriter(store, clock);
    const lost = (subject: string) => ({
      operatorId: 'op',
      action: 'card.lose',
      subject,
      result: 'ok',
      at: clock().toISOString(),
    });
    const change = (n: number) =>
      store.transaction((tx) => deferAudit(tx, [lost(`card ${n}a`), lost(`card ${n}b`)]));
    await writer.append(check(1));
    await change(2);
    await store.transaction((tx) =>
      deferAudit(tx, [
        {
          terminalId: 't3',
          action: 'settlement.settle',
          subject: 'card 3',
          result: 'ok',
          at: clock().toISOString(),
          details: { amount: 3 },
        },
      ]),
    );
    // A change that rolls back leaves nothing to chain.
    await assert.rejects(
      store.transaction(async (tx) => {
        await deferAudit(tx, [{ action: 'x', subject: 'card 4', result: 'ok', at: clock().toISOString() }]);
        throw new Error('refused');
      }),
      /refused/,
    );
    // Nothing deferred is in the chain until a batch takes it.
    assert.deepEqual(
      (await listAudit(store, 0, 100)).map((e) => e.subject),
      ['card A******1'],
    );
    const [, fifth] = await Promise.all([writer.chainDeferred(), writer.append(check(5))]);
    const stored = await listAudit(store, 0, 100);
    assert.deepEqual(
      stored.map((e) => e.subject),
      ['card A******1', 'card 2a', 'card 2b', 'card 3', 'card A******5'],
    );
    assert.deepEqual(stored[3]!.details, { amount: 3 });
    assert.equal(fifth.seq, 5);
    assert.equal((await store.all('SELECT id FROM audit_pending')).length, 0);
    assert.equal((await verifyAuditChain(store)).ok, true);
    // With nothing deferred, a batch that takes deferred entries appends nothing and breaks nothing.
    await writer.chainDeferred();
    assert.equal((await writer.append(check(6))).seq, 6);
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  test('entries deferred by a change whose process stopped before chaining them are chained by the next writer', async () => {
    const url = await freshUrl();
    const first = await openStore({ databaseUrl: url, dataDir: dataDir() });
    await first.transaction((tx) =>
      deferAudit(tx, [
        {
          terminalId: 't1',
          action: 'settlement.settle',
          subject: 'card 1',
          result: 'ok',
          at: clock().toISOString(),
        },
      ]),
    );
    await first.close();
    const store = await openStore({ databaseUrl: url, dataDir: dataDir() });
    try {
      const writer = new AuditWriter(store, clock);
      await writer.chainDeferred();
      assert.deepEqual(
        (await listAudit(store, 0, 100)).map((e) => e.subject),
        ['card 1'],
      );
      assert.equal((await verifyAuditChain(store)).ok, true);
    } finally {
      await store.close();
    }
  });

  test('an entry appended by a change transaction between batches is chained, not overwritten', async () => {
    const store = instrumented(await open());
    const writer = new AuditWriter(store, clock);
    assert.equal((await writer.append(check(1))).seq, 1);
    await external(store, 2);
    const before = store.transactions;
    const third = await writer.append(check(3));
    assert.equal(third.seq, 3);
    // The head moved under the writer: its batch went through a transaction that read it afresh.
    assert.equal(store.transactions, before + 1);
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, true);
    if (verdict.ok) assert.equal(verdict.headHash, third.hash);
  });

  test('a batch that falls back to a transaction and fails there leaves the chain as it was', async () => {
    const store = instrumented(await open());
    const writer = new AuditWriter(store, clock);
    await writer.append(check(0));
    await external(store, 1);
    store.failNext = 'transaction';
    const results = await Promise.allSettled(
      Array.from({ length: 9 }, (_, i) => writer.append(check(i + 2))),
    );
    // The first of them is a batch of its own; the other eight share the one after it.
    for (const r of results.slice(0, 1)) assert.equal(r.status, 'rejected');
    for (const r of results.slice(1)) assert.equal(r.status, 'fulfilled');
    if (results[0]!.status === 'rejected') assert.match(String(results[0]!.reason), /disk full/);
    const stored = await listAudit(store, 0, 100);
    assert.deepEqual(
      stored.map((e) => e.terminalId),
      ['t0', null, 't3', 't4', 't5', 't6', 't7', 't8', 't9', 't10'],
    );
    assert.deepEqual(
      stored.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  test('a failed batch of many fails every one of its callers', async () => {
    const store = instrumented(await open());
    const writer = new AuditWriter(store, clock);
    const first = writer.append(check(0));
    // Queued while the first is written: these ten form the next batch, whose write fails.
    store.failNext = 'statement';
    const rest = Array.from({ length: 10 }, (_, i) => writer.append(check(i + 1)));
    assert.equal((await first).seq, 1);
    const results = await Promise.allSettled(rest);
    for (const r of results) assert.equal(r.status, 'rejected');
    assert.deepEqual(
      (await listAudit(store, 0, 100)).map((e) => e.seq),
      [1],
    );
    // The writer forgot the head it could not confirm and carries on from the stored one.
    assert.equal((await writer.append(check(99))).seq, 2);
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, true);
    if (verdict.ok) assert.equal(verdict.entries, 2);
  });

  test('an entry appended by another process between batches is chained, not overwritten', async () => {
    // Two stores on one database: the service's and, say, the CLI's, each with its own connections.
    const url = await freshUrl();
    const service = await openStore({ databaseUrl: url, dataDir: dataDir() });
    const cli = await openStore({ databaseUrl: url, dataDir: dataDir() });
    try {
      const writer = new AuditWriter(service, clock);
      await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(check(i))));
      await external(cli, 11);
      const later = await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(check(i + 12))));
      assert.deepEqual(
        later.map((e) => e.seq),
        Array.from({ length: 10 }, (_, i) => i + 12),
      );
      const verdict = await verifyAuditChain(cli);
      assert.equal(verdict.ok, true);
      if (verdict.ok) assert.equal(verdict.entries, 21);
    } finally {
      await service.close();
      await cli.close();
    }
  });

  test('a one-statement append after a head that has moved writes nothing', async () => {
    const store = await open();
    await external(store, 1);
    const [head] = await store.all<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head');
    await external(store, 2);
    const stale = { seq: Number(head!.seq), hash: head!.hash };
    const at = clock().toISOString();
    assert.equal(
      await appendAuditAfter(store, stale, [
        { ...check(3), at },
        { ...check(4), at },
      ]),
      undefined,
    );
    assert.deepEqual(
      (await listAudit(store, 0, 10)).map((e) => e.seq),
      [1, 2],
    );
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  test('a batch written by the group-commit writer is verified like any entry: an alteration is named', async () => {
    const store = await open();
    const writer = new AuditWriter(store, clock);
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.append(check(i))));
    await bypassAppendOnly(store);
    await store.run("UPDATE audit_log SET result = 'CARD_LOST' WHERE seq = 17");
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, false);
    if (!verdict.ok) assert.deepEqual([verdict.firstBadSeq, verdict.reason], [17, 'altered']);
    await store.run('DELETE FROM audit_log WHERE seq >= 17');
    const truncated = await verifyAuditChain(store);
    assert.equal(truncated.ok, false);
    if (!truncated.ok) assert.deepEqual([truncated.firstBadSeq, truncated.reason], [17, 'missing']);
  });

  // The chain triggers are sqlite3's (migration 4); PostgreSQL checks the head in the statement.
  if (engine === 'sqlite') {
    test('sqlite3 refuses, whole, an insert whose entries do not follow the head', async () => {
      const store = await open();
      await external(store, 1);
      const row = (seq: number, prev: string) => [
        seq,
        clock().toISOString(),
        'x',
        'ok',
        '{}',
        prev,
        `h${seq}`,
      ];
      const insert =
        "INSERT INTO audit_log (seq, at, action, subject, result, details, prev_hash, hash) VALUES (?, ?, 'identity.check', ?, ?, ?, ?, ?)";
      const [head] = await store.all<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head');
      await assert.rejects(store.run(insert, row(2, 'f'.repeat(64))), /does not follow the chain head/);
      await assert.rejects(store.run(insert, row(3, head!.hash)), /does not follow the chain head/);
      assert.deepEqual(
        (await listAudit(store, 0, 10)).map((e) => e.seq),
        [1],
      );
      assert.deepEqual(await store.all('SELECT seq, hash FROM audit_head'), [head]);
    });
  }

  test('an entry that cannot be hashed is refused alone', async () => {
    const store = await open();
    const writer = new AuditWriter(store, clock);
    const good = writer.append(check(1));
    assert.throws(() => writer.append({ ...check(2), details: { amount: Number.NaN } }), /non-finite/);
    assert.equal((await good).seq, 1);
  });

  test('batches interleave with entries written inside change transactions', async () => {
    const store = await open();
    const writer = new AuditWriter(store, clock);
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      work.push(writer.append(check(i)));
      if (i % 3 === 0) {
        work.push(
          store.transaction((tx) =>
            appendAudit(tx, clock, {
              operatorId: 'op',
              action: 'card.lose',
              subject: `card ${i}`,
              result: 'ok',
            }),
          ),
        );
      }
    }
    await Promise.all(work);
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, true);
    if (verdict.ok) assert.equal(verdict.entries, 80);
  });

  test('close waits for appended entries and refuses new ones', async () => {
    const store = await open();
    const writer = new AuditWriter(store, clock);
    const pending = Array.from({ length: 20 }, (_, i) => writer.append(check(i)));
    await writer.close();
    const seqs = (await listAudit(store, 0, 100)).map((e) => e.seq);
    assert.equal(seqs.length, 20);
    assert.equal((await Promise.all(pending)).length, 20);
    await assert.rejects(writer.append(check(21)), /closed/);
  });
});
