import type { Store } from '../store/store.js';

/**
 * Takes the part of someone who can write the database directly (the sqlite3 file, or the schema
 * owner's PostgreSQL login): the append-only triggers are dropped or disabled, so the test can
 * then edit, delete and re-hash audit history as such a writer could.
 */
export async function bypassAppendOnly(store: Store): Promise<void> {
  for (const table of ['audit_log', 'audit_checkpoints']) {
    if (store.dialect === 'sqlite') {
      await store.run(`DROP TRIGGER IF EXISTS ${table}_no_update`);
      await store.run(`DROP TRIGGER IF EXISTS ${table}_no_delete`);
    } else {
      await store.run(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    }
  }
}
