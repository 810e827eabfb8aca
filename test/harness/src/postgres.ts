import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { captureOutput, freePort, run, spawnTracked, tempDir, terminate, waitFor } from '@sscard/local-stack';

export interface Postgres {
  /** A fresh, empty database for the caller: `postgres://postgres@127.0.0.1:PORT/sscard`. */
  readonly url: string;
  readonly port: number;
  /** Another fresh database on the same server (for tests that must not share state). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
        .sort((x, y) => Number(y) - Number(x))
    : [];
  const version = versions[0];
  if (!version)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/setup.sh');
  return join(base, version, 'bin');
}

export interface PostgresOptions {
  /**
   * Keep PostgreSQL's durable defaults (fsync, synchronous_commit and full_page_writes on), for
   * benchmarks of durable work. Tests leave them off for speed.
   */
  durable?: boolean;
}

/**
 * A private PostgreSQL cluster on its own port, data directory and socket directory, tuned for
 * tests (no fsync) unless `durable`. initdb and postgres refuse to run as root, so as root they run
 * as the `postgres` user on a directory that user owns (DESIGN.md §4).
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const bin = postgresBinDir();
  const dir = await tempDir('sscard-pg-');
  const data = join(dir, 'data');
  const sockets = join(dir, 'sockets');
  await mkdir(sockets);
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
    await chown(sockets, uid, gid);
  }
  await run(
    ...as(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
      '--locale=C',
    ]),
  );
  const port = await freePort();
  const child: ChildProcess = spawnTracked(
    ...as(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      sockets,
      '-c',
      'listen_addresses=127.0.0.1',
      ...(options.durable
        ? []
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      '-c',
      'max_connections=200',
    ]),
  );
  const output = captureOutput(child);
  const psql = (sql: string): Promise<string> =>
    run('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-qAtc',
      sql,
    ]);
  await waitFor(
    'PostgreSQL to accept connections',
    async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${output()}`);
      await psql('select 1');
      return true;
    },
    30_000,
    100,
  );
  const createDatabase = async (name: string): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
    await psql(`create database ${name}`);
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };
  const url = await createDatabase('sscard');
  return {
    url,
    port,
    createDatabase,
    stop: async () => {
      await terminate(child, 10_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).trim());
  return { uid, gid };
}
