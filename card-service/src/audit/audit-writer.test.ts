import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../clock.js';
import { forEachEngine } from '../store/engines-fixture.js';
import type { Queryable, Store } from '../store/store.js';
import { appendAudit, listAudit, verifyAuditChain } from './audit-log.js';
import { AuditWriter } from './audit-writer.js';

const clock = manualClock('2025-03-01T00:00:00Z');

const check = (i: number) => ({
  terminalId: `t${i}`,
  action: 'identity.check',
  subject: `card A******${i}`,
  result: 'ok',
  details: { n: i },
});

/** The store, counting its transactions, with the head update of transaction `failOn` failing. */
function instrumented(inner: Store, failOn = 0): Store & { transactions: number } {
  const wrapped = {
    ...inner,
    transactions: 0,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      const n = ++wrapped.transactions;
      return inner.transaction((tx) =>
        fn(
          n !== failOn
            ? tx
            : {
                ...tx,
                dialect: tx.dialect,
                run: async (sql, params) => {
                  // Fails after the batch's rows are inserted: the rollback must take them away.
                  if (sql.startsWith('UPDATE audit_head')) throw new Error('disk full');
                  return tx.run(sql, params);
                },
              },
        ),
      );
    },
  };
  return wrapped;
}

forEachEngine('audit writer (group commit)', ({ open }) => {
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

  test('entries arriving while a batch commits share the next transaction', async () => {
    const store = instrumented(await open());
    const writer = new AuditWriter(store, clock, { maxBatch: 40 });
    await Promise.all(Array.from({ length: 201 }, (_, i) => writer.append(check(i))));
    // The first entry starts a transaction at once; the other 200 wait for it and go in batches of 40.
    assert.equal(store.transactions, 1 + 5);
    assert.equal((await verifyAuditChain(store)).ok, true);
  });

  test('a failed batch fails all its callers and leaves none of its entries', async () => {
    const store = instrumented(await open(), 2);
    const writer = new AuditWriter(store, clock);
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => writer.append(check(i))));
    assert.equal(results[0]!.status, 'fulfilled');
    for (const r of results.slice(1)) {
      assert.equal(r.status, 'rejected');
      if (r.status === 'rejected') assert.match(String(r.reason), /disk full/);
    }
    assert.deepEqual(
      (await listAudit(store, 0, 100)).map((e) => e.seq),
      [1],
    );
    const after = await writer.append(check(99));
    assert.equal(after.seq, 2);
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, true);
    if (verdict.ok) assert.equal(verdict.entries, 2);
  });

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
