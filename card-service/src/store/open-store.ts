import { type ServiceConfig, dataPath, isPostgresUrl } from '../config.js';
import { migrate } from './migrations.js';
import { type PostgresOptions, openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/**
 * The store the config names, migrated to the current schema. With `migrationDatabaseUrl` (the
 * schema owner's PostgreSQL URL) the migrations run over that connection, which is then closed,
 * and the store connects with `databaseUrl`, the service's own login with the service role's
 * privileges (no UPDATE or DELETE on the audit tables).
 */
export async function openStore(
  config: Pick<ServiceConfig, 'databaseUrl' | 'dataDir'> & {
    migrationDatabaseUrl?: string;
    postgres?: PostgresOptions;
  },
): Promise<Store> {
  const url = config.databaseUrl;
  if (config.migrationDatabaseUrl && isPostgresUrl(url)) {
    const owner = await openPostgresStore(config.migrationDatabaseUrl, { ...config.postgres, poolSize: 1 });
    try {
      await migrate(owner);
    } finally {
      await owner.close();
    }
  }
  const store = isPostgresUrl(url)
    ? await openPostgresStore(url, config.postgres)
    : await openSqliteStore(url || dataPath(config as ServiceConfig, 'registry.db'));
  try {
    await migrate(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
