import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { DomainError } from './errors.js';

/**
 * The service's files at rest: its data directory holds the CA's private key, the admin token and
 * (on sqlite3) the whole registry, so nobody but the service's own user may read it. Directories
 * are made 0700 and files 0600; a directory that other users can enter or read stops the start,
 * because tightening it silently would hide that its contents were exposed until now.
 */

const OTHERS = 0o007;

const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(4, '0');

/** Refuses a directory that other users may read, write or enter. Absent is fine. */
export function refuseOpenToOthers(path: string, what: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if ((mode & OTHERS) !== 0) {
    throw new DomainError(
      'DIRECTORY_EXPOSED',
      `${what} ${path} is open to other users (mode ${octal(mode)}); check what it held, then run: chmod 700 ${path}`,
      500,
      { path, mode: octal(mode) },
    );
  }
}

/** The directory, created 0700 (with its missing parents) when absent, refused when open to others. */
export function ensurePrivateDir(path: string, what: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  refuseOpenToOthers(path, what);
}

/**
 * A sqlite3 database file that only the owner may read: created 0600 before sqlite3 opens it,
 * because sqlite3 gives its `-wal` and `-shm` files the mode of the database file; an existing
 * file and its companions are brought to 0600.
 */
export function privateDatabaseFile(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      chmodSync(file, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
