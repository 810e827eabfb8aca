import { type ServiceConfig, dataPath, isPostgresUrl } from '../config.js';
import { migrate } from './migrations.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** The store the config names, migrated to the current schema. */
export async function openStore(config: Pick<ServiceConfig, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  const url = config.databaseUrl;
  const store = isPostgresUrl(url)
    ? await openPostgresStore(url)
    : await openSqliteStore(url || dataPath(config as ServiceConfig, 'registry.db'));
  try {
    await migrate(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}
