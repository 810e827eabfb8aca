import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPostgresUrl } from '../config.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

const AT = '2026-12-01T08:00:00.000Z';

/** A deployment's database as the release before the bureau counter type left it, with terminals in use. */
async function storeBeforeBureau(url: string): Promise<Store> {
  const store = isPostgresUrl(url) ? await openPostgresStore(url) : await openSqliteStore(url);
  await migrate(store, { through: 22 });
  await store.transaction(async (tx) => {
    for (const [id, type, status] of [
      ['kiosk-1', 'kiosk', 'active'],
      ['desk-1', 'hospital', 'active'],
      ['bank-1', 'bank', 'revoked'],
    ] as const) {
      await tx.run(
        'INSERT INTO terminals (terminal_id, type, region, status, created_at, enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [id, type, '330302', status, AT, AT, AT],
      );
    }
    await tx.run(
      'INSERT INTO terminal_certificates (serial, terminal_id, not_after, issued_at) VALUES (?, ?, ?, ?)',
      ['01ab', 'kiosk-1', '2027-12-01T08:00:00.000Z', AT],
    );
    await tx.run(
      "INSERT INTO institutions (institution_id, name, region, level, created_at) VALUES ('H1', 'City Hospital', '330302', 2, ?)",
      [AT],
    );
    await tx.run(
      'INSERT INTO institution_terminals (terminal_id, institution_id, assigned_at) VALUES (?, ?, ?)',
      ['desk-1', 'H1', AT],
    );
  });
  return store;
}

const insertTerminal = (store: Store, id: string, type: string) =>
  store.run('INSERT INTO terminals (terminal_id, type, region, status, created_at) VALUES (?, ?, ?, ?, ?)', [
    id,
    type,
    '330302',
    'pending',
    AT,
  ]);

forEachEngine('migration 23: the bureau counter terminal type', ({ freshUrl }) => {
  test('keeps every terminal and what refers to it, and admits bureau counters and no other new type', async () => {
    const store = await storeBeforeBureau(await freshUrl());
    try {
      await assert.rejects(insertTerminal(store, 'counter-0', 'bureau'), /check/i);
      const applied = await migrate(store);
      assert.deepEqual(
        applied,
        MIGRATIONS.filter((m) => m.version > 22).map((m) => m.version),
      );
      assert.deepEqual(
        await store.all(
          'SELECT terminal_id, type, status, enrolled_at, last_seen_at FROM terminals ORDER BY terminal_id',
        ),
        [
          { terminal_id: 'bank-1', type: 'bank', status: 'revoked', enrolled_at: AT, last_seen_at: AT },
          { terminal_id: 'desk-1', type: 'hospital', status: 'active', enrolled_at: AT, last_seen_at: AT },
          { terminal_id: 'kiosk-1', type: 'kiosk', status: 'active', enrolled_at: AT, last_seen_at: AT },
        ],
      );
      await insertTerminal(store, 'counter-1', 'bureau');
      await assert.rejects(insertTerminal(store, 'counter-2', 'tax-office'), /check/i);
      // The tables that refer to terminals still refer to the rebuilt one, and are still enforced.
      const joined = await store.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM terminal_certificates c JOIN terminals t ON t.terminal_id = c.terminal_id
         JOIN institution_terminals i ON i.terminal_id = 'desk-1'`,
      );
      assert.equal(Number(joined?.n), 1);
      await assert.rejects(
        store.run(
          'INSERT INTO terminal_certificates (serial, terminal_id, not_after, issued_at) VALUES (?, ?, ?, ?)',
          ['02cd', 'no-such-terminal', '2027-12-01T08:00:00.000Z', AT],
        ),
        /foreign key/i,
      );
      assert.deepEqual(await migrate(store), []);
    } finally {
      await store.close();
    }
  });
});
