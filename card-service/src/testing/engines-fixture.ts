import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { type Postgres, startPostgres } from '@sscard/test-harness';
import { SERVICE_ROLE } from '../store/migrations.js';
import { openStore } from '../store/open-store.js';
import type { Dialect, Store } from '../store/store.js';

export const ENGINES: readonly Dialect[] = ['sqlite', 'postgres'];

export interface EngineContext {
  engine: Dialect;
  /** A fresh, migrated, empty store of this engine. */
  open(): Promise<Store>;
  /** The `databaseUrl` of a fresh empty database of this engine (for code that opens its own store). */
  freshUrl(): Promise<string>;
  /** A private data directory for this suite. */
  dataDir(): string;
}

/**
 * Declares the same suite once per engine: on a sqlite3 file and on a private PostgreSQL server
 * (one per suite, a new database per store), so every store-backed behaviour is proved on both.
 * A suite long enough to need a test file per engine names its one engine in `engines`.
 */
export function forEachEngine(
  title: string,
  body: (ctx: EngineContext) => void,
  engines: readonly Dialect[] = ENGINES,
): void {
  for (const engine of engines) {
    describe(`${title} [${engine}]`, () => {
      let pg: Postgres | undefined;
      let dir = '';
      let n = 0;
      const opened: Store[] = [];
      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'sscard-service-'));
        if (engine === 'postgres') pg = await startPostgres();
      });
      after(async () => {
        for (const s of opened) await s.close().catch(() => undefined);
        await pg?.stop();
        await rm(dir, { recursive: true, force: true });
      });
      const freshUrl = async () =>
        engine === 'postgres' ? pg!.createDatabase(`db${++n}`) : join(dir, `store-${++n}.db`);
      body({
        engine,
        freshUrl,
        dataDir: () => dir,
        open: async () => {
          const store = await openStore({ databaseUrl: await freshUrl(), dataDir: dir });
          opened.push(store);
          return store;
        },
      });
    });
  }
}

/**
 * PostgreSQL: migrates the database as its owner (`adminUrl`), makes sure a login role in the
 * service role exists, and answers the URL the service connects with as that login, as a
 * deployment would run it (README, "PostgreSQL roles").
 */
export async function serviceLoginUrl(adminUrl: string, login = 'sscard_app'): Promise<string> {
  const owner = await openStore({ databaseUrl: adminUrl, dataDir: '.' });
  try {
    await owner.run(`DO $$ BEGIN CREATE ROLE ${login} LOGIN IN ROLE ${SERVICE_ROLE};
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
  } finally {
    await owner.close();
  }
  const url = new URL(adminUrl);
  url.username = login;
  return url.toString();
}
