import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../clock.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import type { Queryable, Store } from '../store/store.js';
import { revokeTerminal } from './terminals.js';
import { OPERATOR, holderInput, testRegistry } from '../testing/registry-fixture.js';
import { RequestReads } from './request-reads.js';

const clock = manualClock('2025-03-01T02:00:00Z');

/** The store as the reads see it, counting their statements. */
function counting(store: Store): Queryable & { statements: number } {
  const counted = {
    dialect: store.dialect,
    statements: 0,
    all: <T>(sql: string, params?: readonly (string | number | null)[]) => {
      counted.statements++;
      return store.all<T>(sql, params);
    },
    get: store.get.bind(store),
    run: store.run.bind(store),
  };
  return counted;
}

async function terminalWithCertificate(store: Store, terminalId: string, serial: string): Promise<void> {
  await store.run(
    "INSERT INTO terminals (terminal_id, type, region, status, created_at, enrolled_at) VALUES (?, 'hospital', '330300', 'active', ?, ?)",
    [terminalId, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
  );
  await store.run(
    'INSERT INTO terminal_certificates (serial, terminal_id, not_after, issued_at) VALUES (?, ?, ?, ?)',
    [serial, terminalId, '2026-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
  );
}

forEachEngine('batched request reads', ({ open }) => {
  test('a batch of cards and certificates is one statement, and each caller gets its own record', async () => {
    const store = await open();
    const registry = testRegistry(store, clock);
    const cards: { code: string; name: string; schemes: string[] }[] = [];
    for (const [name, schemes] of [
      ['林晓东', ['390', '110']],
      ['王秀英', ['310']],
      ['陈建国', []],
    ] as const) {
      const holder = await registry.createHolder(
        holderInput({ name }),
        schemes.map((schemeCode) => ({ schemeCode, insuredRegion: '330300', startDate: '2012-07-01' })),
        OPERATOR,
      );
      const { card } = await registry.issueCard(holder.personNo, { generation: 3 }, OPERATOR);
      cards.push({ code: card.cardIdCode, name, schemes: [...schemes].sort() });
    }
    await terminalWithCertificate(store, 'hosp-1', '0A1B');
    const q = counting(store);
    const reads = new RequestReads(q);
    const [certificate, unknownCertificate, ...records] = await Promise.all([
      reads.certificate('0a1b'),
      reads.certificate('FFFF'),
      ...cards.map((c) => reads.identityRecord(c.code.toLowerCase())),
      reads.identityRecord(`330300D156000005${'AB'.repeat(8)}`),
    ]);
    assert.equal(q.statements, 1);
    assert.equal(certificate?.terminal.terminalId, 'hosp-1');
    assert.equal(certificate?.terminal.status, 'active');
    assert.equal(certificate?.revokedAt, null);
    assert.equal(unknownCertificate, undefined);
    assert.equal(records.at(-1), undefined);
    cards.forEach((c, i) => {
      const record = records[i]!;
      assert.equal(record.holder?.name, c.name);
      assert.equal(record.card.status, 'issued');
      assert.equal(record.card.temporary, false);
      // In the order of the relations index, whatever order they were added in.
      assert.deepEqual(
        record.relations.map((r) => r.schemeCode),
        c.schemes,
      );
    });
  });

  test('a revocation committed between two reads is seen by the second', async () => {
    const store = await open();
    await terminalWithCertificate(store, 'hosp-2', '0C2D');
    const reads = new RequestReads(store);
    const before = await reads.certificate('0C2D');
    assert.equal(before?.revokedAt, null);
    // Keep batches running while the revocation commits, so the next read has one to (wrongly) join.
    const busy = Array.from({ length: 20 }, () => reads.certificate('0C2D'));
    await revokeTerminal(store, clock, 'hosp-2', OPERATOR);
    const after = await reads.certificate('0C2D');
    assert.notEqual(after?.revokedAt, null);
    assert.equal(after?.terminal.status, 'revoked');
    await Promise.all(busy);
  });

  test('a failed batch fails its own callers, and the next batch is read', async () => {
    const store = await open();
    await terminalWithCertificate(store, 'hosp-3', '0E3F');
    let fail = true;
    const flaky: Queryable = {
      dialect: store.dialect,
      all: <T>(sql: string, params?: readonly (string | number | null)[]) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('connection reset'));
        }
        return store.all<T>(sql, params);
      },
      get: store.get.bind(store),
      run: store.run.bind(store),
    };
    const reads = new RequestReads(flaky);
    await assert.rejects(reads.certificate('0E3F'), /connection reset/);
    assert.equal((await reads.certificate('0E3F'))?.terminal.terminalId, 'hosp-3');
  });
});
