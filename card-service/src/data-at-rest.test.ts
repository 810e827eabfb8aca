import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@sscard/test-harness';
import { loadConfig } from './config.js';
import { DomainError } from './errors.js';
import { silentLogger } from '@sscard/log';
import { startService } from './service.js';

const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

const configFor = (dataDir: string) =>
  loadConfig({
    env: {},
    overrides: { dataDir, databaseUrl: '', listen: { host: '127.0.0.1', port: 0 }, logLevel: 'silent' },
  });

describe('the service files at rest', () => {
  test('the data directory is created 0700 and the sqlite3 database with its -wal and -shm 0600', async () => {
    // A umask that would leave files readable by everyone, as many hosts have.
    const umask = process.umask(0o022);
    try {
      const dataDir = join(await tempDir('sscard-rest-'), 'data');
      const service = await startService(configFor(dataDir), { log: silentLogger });
      try {
        // The first start wrote the admin token's row, so the WAL and its index exist.
        assert.equal(await modeOf(dataDir), 0o700);
        for (const name of ['registry.db', 'registry.db-wal', 'registry.db-shm', 'admin-token']) {
          assert.equal(await modeOf(join(dataDir, name)), 0o600, name);
        }
      } finally {
        await service.close();
      }
    } finally {
      process.umask(umask);
    }
  });

  test('an existing database file readable by others is brought to 0600', async () => {
    const dataDir = await tempDir('sscard-rest-');
    const first = await startService(configFor(dataDir), { log: silentLogger });
    await first.close();
    await chmod(join(dataDir, 'registry.db'), 0o644);
    const second = await startService(configFor(dataDir), { log: silentLogger });
    await second.close();
    assert.equal(await modeOf(join(dataDir, 'registry.db')), 0o600);
  });

  test('the service refuses to start on a data or HSM key directory that others can read', async () => {
    const dataDir = await tempDir('sscard-rest-');
    await chmod(dataDir, 0o755);
    await assert.rejects(
      startService(configFor(dataDir), { log: silentLogger }),
      (e: unknown) =>
        e instanceof DomainError &&
        e.code === 'DIRECTORY_EXPOSED' &&
        e.message.includes(dataDir) &&
        e.message.includes('chmod 700'),
    );
    await chmod(dataDir, 0o700);
    await mkdir(join(dataDir, 'hsm'), { mode: 0o755 });
    await chmod(join(dataDir, 'hsm'), 0o755);
    await assert.rejects(
      startService(configFor(dataDir), { log: silentLogger }),
      (e: unknown) =>
        e instanceof DomainError && e.code === 'DIRECTORY_EXPOSED' && e.message.includes('HSM key directory'),
    );
  });

  test('serve writes the bootstrap admin token to its file only, never to stdout or stderr', async () => {
    const dataDir = join(await tempDir('sscard-rest-'), 'data');
    const child: ChildProcess = spawn(process.execPath, [CLI, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        SSCARD_DATA_DIR: dataDir,
        SSCARD_SERVICE_PORT: '0',
        SSCARD_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c) => {
      output += c;
    });
    child.stderr!.on('data', (c) => {
      output += c;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const deadline = Date.now() + 30_000;
      while (!/admin token written to/.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) assert.fail(`serve did not start: ${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    assert.match(token, /^sst_[0-9a-f]{16}_/);
    assert.ok(output.includes(join(dataDir, 'admin-token')), output);
    // Neither the token nor its secret half appears anywhere in what the process wrote.
    assert.ok(!output.includes(token.split('_').pop()!), 'the token secret was printed');
  });
});
