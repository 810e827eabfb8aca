import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config.js';
import { startTestService } from '../testing/api-fixture.js';

test('idle connections are kept for keepAliveSeconds (75 by default), and clients are told so', async () => {
  assert.equal(loadConfig({ env: {} }).keepAliveSeconds, 75);
  assert.throws(() => loadConfig({ env: {}, overrides: { keepAliveSeconds: 0 } }), /keepAliveSeconds/);
  const dir = await mkdtemp(join(tmpdir(), 'sscard-keepalive-'));
  const t = await startTestService(join(dir, 'registry.db'), dir, undefined, undefined, {
    keepAliveSeconds: 40,
  });
  try {
    const answer = await t.call('GET', '/healthz', { headers: { connection: 'keep-alive' } });
    assert.equal(answer.status, 200);
    // Node announces the server's keep-alive timeout; clients (Node's agent among them) keep an
    // idle connection a little less than that instead of opening a new one for the next request.
    assert.equal(answer.headers['keep-alive'], 'timeout=40');
  } finally {
    await t.service.close();
    await rm(dir, { recursive: true, force: true });
  }
});
