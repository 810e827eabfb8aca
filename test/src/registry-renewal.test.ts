import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import {
  credentialPaths,
  inspectCredentials,
  loadCredentials,
  loadOrEnrol,
  openTerminalRegistry,
} from '@sscard/terminal-agent/registry/index';
import { type RegistryUnderTest, startRegistry } from './registry-fixture.js';

const HOUR = 3600_000;
const GRACE_SECONDS = 600;
let registry: RegistryUnderTest;

before(async () => {
  // Certificates of one day: the agent renews once less than a third of that is left.
  registry = await startRegistry({
    tls: { terminalCertificateDays: 1, renewalGraceSeconds: GRACE_SECONDS },
  });
});
after(() => registry.close());

/** `GET /v1/terminal` with exactly these credentials: the status the service answers. */
function statusWith(keyPem: string, certPem: string): Promise<number> {
  const agent = new Agent({ ca: registry.service.caCertPem, key: keyPem, cert: certPem, keepAlive: false });
  return new Promise<number>((resolve, reject) => {
    const req = request(new URL('/v1/terminal', registry.service.url), { agent, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  }).finally(() => agent.destroy());
}

test('a terminal renews its short-lived certificate over mutual TLS before it expires', async () => {
  const dataDir = await tempDir('sscard-renew-');
  const enrolled = await loadOrEnrol({
    serviceUrl: registry.service.url,
    dataDir,
    caCertPath: registry.caCertPath,
    enrolmentCode: await registry.enrolmentCode('KIOSK-RENEW-1', 'kiosk'),
  });
  const first = enrolled.identity;
  assert.ok(first.notAfter.getTime() - first.notBefore.getTime() <= 25 * HOUR);

  // Early in its life nothing happens.
  const early = await openTerminalRegistry({
    serviceUrl: registry.service.url,
    dataDir,
    journalPath: join(dataDir, 'journal.sqlite3'),
    resendIntervalMs: 0,
  });
  assert.equal(early.identity.serial, first.serial);
  await early.close();

  // Seventeen hours on (the terminal's clock), seven hours of the day are left: due.
  const later = () => new Date(Date.now() + 17 * HOUR);
  const terminal = await openTerminalRegistry({
    serviceUrl: registry.service.url,
    dataDir,
    journalPath: join(dataDir, 'journal.sqlite3'),
    resendIntervalMs: 0,
    now: later,
  });
  try {
    const renewed = terminal.identity;
    assert.notEqual(renewed.serial, first.serial);
    assert.equal(renewed.terminalId, 'KIOSK-RENEW-1');
    assert.equal(renewed.type, 'kiosk');
    assert.equal(renewed.region, '330300');
    // The new pair is what is stored, and is what the client uses.
    const stored = await loadCredentials(dataDir);
    assert.ok(stored);
    assert.equal(inspectCredentials(stored.credentials).serial, renewed.serial);
    assert.notEqual(stored.credentials.keyPem, enrolled.credentials.keyPem);
    assert.equal((await terminal.client.terminal()).terminalId, 'KIOSK-RENEW-1');

    // The old certificate is good for the grace period only; the new one stays good.
    assert.equal(await statusWith(enrolled.credentials.keyPem, enrolled.credentials.certPem), 200);
    registry.setClockOffset((GRACE_SECONDS + 60) * 1000);
    assert.equal(await statusWith(enrolled.credentials.keyPem, enrolled.credentials.certPem), 401);
    assert.equal(await statusWith(stored.credentials.keyPem, stored.credentials.certPem), 200);
  } finally {
    registry.setClockOffset(0);
    await terminal.close();
  }
  const audit = await registry.operator<{ entries: { action: string; terminalId: string }[] }>(
    'GET',
    '/v1/audit?after=0&limit=1000',
  );
  assert.ok(
    audit.body.entries.some(
      (e) => e.action === 'terminal.renewCertificate' && e.terminalId === 'KIOSK-RENEW-1',
    ),
  );
  assert.ok(await readFile(credentialPaths(dataDir).cert, 'utf8'));
});

test('a revoked terminal cannot renew its certificate', async () => {
  const dataDir = await tempDir('sscard-renew-');
  const enrolled = await loadOrEnrol({
    serviceUrl: registry.service.url,
    dataDir,
    caCertPath: registry.caCertPath,
    enrolmentCode: await registry.enrolmentCode('KIOSK-RENEW-2', 'kiosk'),
  });
  await registry.revoke('KIOSK-RENEW-2');
  await assert.rejects(
    openTerminalRegistry({
      serviceUrl: registry.service.url,
      dataDir,
      journalPath: join(dataDir, 'journal.sqlite3'),
      resendIntervalMs: 0,
      now: () => new Date(Date.now() + 17 * HOUR),
    }),
    (e: unknown) => (e as { code?: string }).code === 'TERMINAL_REVOKED',
  );
  const stored = await loadCredentials(dataDir);
  assert.equal(inspectCredentials(stored!.credentials).serial, enrolled.identity.serial);
});
