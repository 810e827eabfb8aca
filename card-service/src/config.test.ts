import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { loadConfig } from './config.js';
import { DomainError } from './errors.js';

test('defaults, then file, then environment, then overrides', async () => {
  const dir = await tempDir('sscard-config-');
  const file = join(dir, 'service.json');
  await writeFile(file, JSON.stringify({ listen: { port: 9000 }, lifecycle: { temporaryLossDays: 3 } }));
  const config = loadConfig({
    file,
    env: { SSCARD_SERVICE_PORT: '9100', DATABASE_URL: 'postgres://x@h/db' },
  });
  assert.equal(config.listen.port, 9100);
  assert.equal(config.listen.host, '127.0.0.1');
  assert.equal(config.lifecycle.temporaryLossDays, 3);
  assert.equal(config.lifecycle.temporaryCardDays, 90);
  assert.equal(config.databaseUrl, 'postgres://x@h/db');
  assert.equal(loadConfig({ env: {}, overrides: { challengeTtlSeconds: 30 } }).challengeTtlSeconds, 30);
});

test('a bad value stops loading with a message naming the key', () => {
  const failsOn = (key: string, run: () => unknown) =>
    assert.throws(
      run,
      (e: unknown) => e instanceof DomainError && e.code === 'CONFIG_INVALID' && e.message.includes(key),
    );
  failsOn('listen.port', () => loadConfig({ env: { SSCARD_SERVICE_PORT: '70000' } }));
  failsOn('listen.port', () => loadConfig({ env: { SSCARD_SERVICE_PORT: 'eighty' } }));
  failsOn('lifecycle.temporaryLossDays', () =>
    loadConfig({ env: {}, overrides: { lifecycle: { temporaryLossDays: 0 } } }),
  );
  failsOn('rateLimt', () => loadConfig({ env: {}, overrides: { rateLimt: {} } as never }));
});
