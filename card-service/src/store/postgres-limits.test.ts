import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Postgres, startPostgres, tempDir } from '@sscard/test-harness';
import { loadConfig } from '../config.js';
import { DomainError } from '../errors.js';
import { silentLogger } from '@sscard/log';
import { startService } from '../service.js';
import { openStore } from './open-store.js';

const isDomain = (code: string) => (e: unknown) => e instanceof DomainError && e.code === code;

describe('PostgreSQL limits and durability', () => {
  let pg: Postgres;
  let n = 0;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg.stop());

  test('the service refuses a server with fsync or synchronous_commit off, unless told it is a test server', async () => {
    // The harness's server runs with both off, as test servers do for speed.
    const dataDir = await tempDir('sscard-pg-');
    const config = (accept: boolean, databaseUrl: string) =>
      loadConfig({
        env: {},
        overrides: {
          dataDir,
          databaseUrl,
          listen: { host: '127.0.0.1', port: 0 },
          logLevel: 'silent',
          postgres: { acceptUnsafeDurability: accept },
        },
      });
    const url = await pg.createDatabase(`durable${++n}`);
    await assert.rejects(
      startService(config(false, url), { log: silentLogger }),
      (e: unknown) =>
        isDomain('STORE_NOT_DURABLE')(e) &&
        (e as Error).message.includes('fsync = off') &&
        (e as Error).message.includes('synchronous_commit = off'),
    );
    const service = await startService(config(true, url), { log: silentLogger });
    await service.close();
  });

  test('every session has the configured statement_timeout and idle_in_transaction_session_timeout', async () => {
    const store = await openStore({
      databaseUrl: await pg.createDatabase(`limits${++n}`),
      dataDir: '',
      postgres: { statementTimeoutMs: 300, idleInTransactionTimeoutMs: 4000 },
    });
    try {
      const settings = await store.get<{ st: string; idle: string }>(
        "SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS idle",
      );
      assert.deepEqual(settings, { st: '300ms', idle: '4s' });
      await assert.rejects(store.get('SELECT pg_sleep(2)'), isDomain('STORE_TIMEOUT'));
      // The transaction path has the same limit.
      await assert.rejects(
        store.transaction((tx) => tx.get('SELECT pg_sleep(2)')),
        isDomain('STORE_TIMEOUT'),
      );
    } finally {
      await store.close();
    }
  });

  test('a caller that finds every pooled connection busy past the acquire timeout gets STORE_BUSY', async () => {
    const store = await openStore({
      databaseUrl: await pg.createDatabase(`pool${++n}`),
      dataDir: '',
      postgres: { poolSize: 1, acquireTimeoutMs: 200 },
    });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let entered!: () => void;
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      const holder = store.transaction(async () => {
        entered();
        await held;
      });
      await inside;
      const started = Date.now();
      await assert.rejects(store.get('SELECT 1'), isDomain('STORE_BUSY'));
      assert.ok(Date.now() - started < 5000);
      release();
      await holder;
      assert.deepEqual(await store.get('SELECT 1 AS one'), { one: 1 });
    } finally {
      await store.close();
    }
  });
});
