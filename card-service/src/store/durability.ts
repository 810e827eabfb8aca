import { DomainError } from '../errors.js';
import type { Logger } from '@sscard/log';
import type { Store } from './store.js';

/**
 * A PostgreSQL server with `fsync` or `synchronous_commit` off acknowledges commits it may lose in
 * a crash: the service would then have answered for a card event, an enrolment or an audit entry
 * that is gone after a restart. Such a server is refused at start unless the configuration says
 * it is a test server (`postgres.acceptUnsafeDurability`), and then a warning is logged.
 * (A bulk import turns `synchronous_commit` off for its own transactions only; that is by design.)
 */
export async function checkDurability(store: Store, acceptUnsafe: boolean, log: Logger): Promise<void> {
  if (store.dialect !== 'postgres') return;
  const row = await store.get<{ fsync: string; synchronous_commit: string }>(
    "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit",
  );
  const unsafe = [
    ...(row?.fsync === 'off' ? ['fsync = off'] : []),
    ...(row?.synchronous_commit === 'off' ? ['synchronous_commit = off'] : []),
  ];
  if (unsafe.length === 0) return;
  if (acceptUnsafe) {
    log.warn('PostgreSQL runs without durable commits; accepted by postgres.acceptUnsafeDurability', {
      settings: unsafe,
    });
    return;
  }
  throw new DomainError(
    'STORE_NOT_DURABLE',
    `the PostgreSQL server runs with ${unsafe.join(' and ')}: a crash could lose answered commits; turn it on in postgresql.conf (postgres.acceptUnsafeDurability is for test servers only)`,
    500,
    { settings: unsafe },
  );
}
