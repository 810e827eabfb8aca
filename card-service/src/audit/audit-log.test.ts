import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../clock.js';
import { openStore } from '../store/open-store.js';
import { forEachEngine, serviceLoginUrl } from '../testing/engines-fixture.js';
import type { Store } from '../store/store.js';
import { appendAudit, verifyAuditChain } from './audit-log.js';
import { canonicalJson } from './canonical-json.js';
import { bypassAppendOnly } from '../testing/tamper-fixture.js';

test('canonical JSON sorts keys at every level and drops undefined', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: undefined } }),
    '{"a":{"d":[2,{"x":0,"y":1}]},"b":1}',
  );
});

async function chainOf(store: Store, n: number): Promise<void> {
  const clock = manualClock('2025-03-01T00:00:00Z');
  for (let i = 1; i <= n; i++) {
    await store.transaction((tx) =>
      appendAudit(tx, clock, {
        terminalId: `t${i}`,
        action: 'identity.check',
        subject: `card A******${i}`,
        result: 'ok',
      }),
    );
  }
}

forEachEngine('audit chain', ({ open, engine, freshUrl, dataDir }) => {
  if (engine === 'postgres') {
    test('the service’s role appends to the chain but may not update, delete or truncate it', async () => {
      const url = await freshUrl();
      const owner = await openStore({ databaseUrl: url, dataDir: dataDir() });
      await chainOf(owner, 2);
      await owner.close();
      const service = await openStore({ databaseUrl: await serviceLoginUrl(url), dataDir: dataDir() });
      try {
        await chainOf(service, 1);
        for (const sql of [
          "UPDATE audit_log SET result = 'CARD_LOST' WHERE seq = 2",
          'DELETE FROM audit_log WHERE seq = 3',
          'TRUNCATE audit_log',
          'DELETE FROM audit_checkpoints',
          'ALTER TABLE audit_log DISABLE TRIGGER USER',
        ]) {
          await assert.rejects(service.run(sql), /permission denied|must be owner/, sql);
        }
        const verdict = await verifyAuditChain(service);
        assert.deepEqual(verdict.ok && verdict.entries, 3);
      } finally {
        await service.close();
      }
    });
  }

  test('the database refuses to update or delete an audit entry or checkpoint', async () => {
    const store = await open();
    await chainOf(store, 3);
    await store.run(
      "INSERT INTO audit_checkpoints (seq, hash, at, prev_mac, mac) VALUES (3, 'h', '2025-03-01T00:00:00Z', 'p', 'm')",
    );
    for (const sql of [
      "UPDATE audit_log SET result = 'CARD_LOST' WHERE seq = 2",
      'DELETE FROM audit_log WHERE seq = 3',
      "UPDATE audit_checkpoints SET hash = 'x'",
      'DELETE FROM audit_checkpoints',
      ...(engine === 'postgres' ? ['TRUNCATE audit_log', 'TRUNCATE audit_checkpoints'] : []),
    ]) {
      await assert.rejects(store.run(sql), /is append-only/, sql);
    }
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, true);
  });

  test('an untouched chain verifies and reports its head', async () => {
    const store = await open();
    await chainOf(store, 5);
    const verdict = await verifyAuditChain(store, 2);
    assert.equal(verdict.ok, true);
    if (verdict.ok) assert.equal(verdict.entries, 5);
  });

  test('an altered entry is named', async () => {
    const store = await open();
    await chainOf(store, 5);
    await bypassAppendOnly(store);
    await store.run("UPDATE audit_log SET result = 'CARD_LOST' WHERE seq = 3");
    assert.deepEqual(await verifyAuditChain(store), {
      ok: false,
      entries: 2,
      firstBadSeq: 3,
      reason: 'altered',
    });
  });

  test('a removed entry is named', async () => {
    const store = await open();
    await chainOf(store, 5);
    await bypassAppendOnly(store);
    await store.run('DELETE FROM audit_log WHERE seq = 2');
    assert.deepEqual(await verifyAuditChain(store), {
      ok: false,
      entries: 1,
      firstBadSeq: 2,
      reason: 'missing',
    });
  });

  test('a removed tail is detected against the head', async () => {
    const store = await open();
    await chainOf(store, 5);
    await bypassAppendOnly(store);
    await store.run('DELETE FROM audit_log WHERE seq = 5');
    const verdict = await verifyAuditChain(store);
    assert.deepEqual(verdict, { ok: false, entries: 4, firstBadSeq: 5, reason: 'missing' });
  });

  test('reordered entries are named', async () => {
    const store = await open();
    await chainOf(store, 5);
    await bypassAppendOnly(store);
    // Swap entries 3 and 4, each keeping its own hash: the chain order is what changed.
    await store.transaction(async (tx) => {
      await tx.run('UPDATE audit_log SET seq = -1 WHERE seq = 3');
      await tx.run('UPDATE audit_log SET seq = 3 WHERE seq = 4');
      await tx.run('UPDATE audit_log SET seq = 4 WHERE seq = -1');
    });
    const verdict = await verifyAuditChain(store);
    assert.equal(verdict.ok, false);
    if (!verdict.ok) assert.equal(verdict.firstBadSeq, 3);
  });
});
