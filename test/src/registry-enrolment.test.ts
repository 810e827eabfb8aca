import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import {
  RegistryClient,
  credentialPaths,
  isRegistryError,
  loadOrEnrol,
} from '@sscard/terminal-agent/registry/index';
import { type RegistryUnderTest, startRegistry } from './registry-fixture.js';

let registry: RegistryUnderTest;

before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry.close();
});

async function allFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFilesUnder(path)));
    // Sockets (the HSM's) hold nothing at rest and cannot be read as files.
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

test('enrols with a one-time code, keeps the private key local, and later starts reuse the certificate', async () => {
  const dataDir = await tempDir('sscard-agent-');
  const code = await registry.enrolmentCode('KIOSK-0001', 'kiosk', '330300');
  const settings = {
    serviceUrl: registry.service.url,
    dataDir,
    terminalId: 'KIOSK-0001',
    caCertPath: registry.caCertPath,
    enrolmentCode: code,
  };
  const first = await loadOrEnrol(settings);
  assert.equal(first.enrolledNow, true);
  assert.equal(first.caSource, 'configured');
  assert.equal(first.identity.terminalId, 'KIOSK-0001');
  assert.equal(first.identity.type, 'kiosk');
  assert.equal(first.identity.region, '330300');

  const paths = credentialPaths(dataDir);
  assert.equal((await stat(paths.key)).mode & 0o777, 0o600, 'the private key is readable by its owner only');
  const keyPem = await readFile(paths.key, 'utf8');
  const cert = new X509Certificate(await readFile(paths.cert, 'utf8'));
  assert.ok(
    createPublicKey(keyPem)
      .export({ type: 'spki', format: 'der' })
      .equals(cert.publicKey.export({ type: 'spki', format: 'der' })),
    'the certificate certifies the key generated here',
  );

  // The private key never reached the service: no file it keeps (database, CA, logs) holds it.
  const keyBody = keyPem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
  const keyFragments = [keyBody.slice(0, 64), keyBody.slice(-64)];
  for (const file of await allFilesUnder(registry.dataDir)) {
    const content = (await readFile(file)).toString('latin1').replace(/\s/g, '');
    for (const fragment of keyFragments)
      assert.ok(!content.includes(fragment), `${file} holds the terminal's key`);
  }

  // A later start finds the stored credentials and needs no code.
  const again = await loadOrEnrol({ ...settings, enrolmentCode: undefined });
  assert.equal(again.enrolledNow, false);
  assert.equal(again.identity.serial, first.identity.serial);

  // And they work: mutual TLS to a terminal-only endpoint.
  const client = new RegistryClient({ serviceUrl: registry.service.url, credentials: again.credentials });
  try {
    const me = await client.terminal();
    assert.equal(me.terminalId, 'KIOSK-0001');
    assert.equal(me.status, 'active');
  } finally {
    client.close();
  }
});

test('an enrolment code works once', async () => {
  const code = await registry.enrolmentCode('KIOSK-0002');
  const settings = (dataDir: string) => ({
    serviceUrl: registry.service.url,
    dataDir,
    caCertPath: registry.caCertPath,
    enrolmentCode: code,
  });
  await loadOrEnrol(settings(await tempDir('sscard-agent-')));
  const otherDir = await tempDir('sscard-agent-');
  await assert.rejects(loadOrEnrol(settings(otherDir)), (e: unknown) => {
    assert.ok(isRegistryError(e, 'ENROLMENT_REFUSED'));
    assert.equal(e.serviceCode, 'ENROLMENT_CODE_USED');
    return true;
  });
  assert.deepEqual(await readdir(otherDir), [], 'a refused enrolment leaves nothing behind');
});

test('refuses to send the code to a server that the configured CA did not certify', async () => {
  const other = await startRegistry();
  try {
    const code = await registry.enrolmentCode('KIOSK-0003');
    const dataDir = await tempDir('sscard-agent-');
    // The terminal trusts `registry`'s CA but is pointed at another service: the code must not go there.
    await assert.rejects(
      loadOrEnrol({
        serviceUrl: other.service.url,
        dataDir,
        caCertPath: registry.caCertPath,
        enrolmentCode: code,
      }),
      (e: unknown) => isRegistryError(e, 'REGISTRY_UNTRUSTED'),
    );
    // The code was not spent: the genuine service still takes it.
    const enrolled = await loadOrEnrol({
      serviceUrl: registry.service.url,
      dataDir,
      caCertPath: registry.caCertPath,
      enrolmentCode: code,
    });
    assert.equal(enrolled.identity.terminalId, 'KIOSK-0003');
  } finally {
    await other.close();
  }
});

test('trust on first use records the CA the service named and trusts only it from then on', async () => {
  const code = await registry.enrolmentCode('DEMO-KIOSK');
  const dataDir = await tempDir('sscard-agent-');
  const fingerprints: string[] = [];
  const enrolled = await loadOrEnrol(
    { serviceUrl: registry.service.url, dataDir, enrolmentCode: code, trustOnFirstUse: true },
    { onTrustOnFirstUse: (f) => fingerprints.push(f) },
  );
  assert.equal(enrolled.caSource, 'trust-on-first-use');
  assert.equal(await readFile(credentialPaths(dataDir).ca, 'utf8'), registry.service.caCertPem);
  assert.deepEqual(fingerprints, [new X509Certificate(registry.service.caCertPem).fingerprint256]);
  const record = JSON.parse(await readFile(credentialPaths(dataDir).record, 'utf8'));
  assert.equal(record.caSource, 'trust-on-first-use');
  assert.equal(record.caFingerprint, fingerprints[0]);
});

test('without a CA file or trust on first use, enrolment does not start', async () => {
  const code = await registry.enrolmentCode('KIOSK-0004');
  await assert.rejects(
    loadOrEnrol({
      serviceUrl: registry.service.url,
      dataDir: await tempDir('sscard-agent-'),
      enrolmentCode: code,
    }),
    (e: unknown) => isRegistryError(e, 'NOT_ENROLLED') && /caCertPath/.test(e.message),
  );
});

test('a terminal without credentials and without a code is told to enrol', async () => {
  await assert.rejects(
    loadOrEnrol({
      serviceUrl: registry.service.url,
      dataDir: await tempDir('sscard-agent-'),
      caCertPath: registry.caCertPath,
    }),
    (e: unknown) => isRegistryError(e, 'NOT_ENROLLED'),
  );
});

test('an expired certificate is reported as such, and a new code enrols the terminal again', async () => {
  const dataDir = await tempDir('sscard-agent-');
  const base = { serviceUrl: registry.service.url, dataDir, caCertPath: registry.caCertPath };
  const first = await loadOrEnrol({ ...base, enrolmentCode: await registry.enrolmentCode('KIOSK-0005') });
  const afterExpiry = new Date(first.identity.notAfter.getTime() + 86_400_000);
  await assert.rejects(loadOrEnrol(base, { now: afterExpiry }), (e: unknown) => {
    assert.ok(isRegistryError(e, 'CERTIFICATE_EXPIRED'));
    assert.match(e.message, /KIOSK-0005/);
    return true;
  });
  const client = new RegistryClient({
    serviceUrl: base.serviceUrl,
    credentials: first.credentials,
    now: () => afterExpiry,
  });
  await assert.rejects(client.terminal(), (e: unknown) => isRegistryError(e, 'CERTIFICATE_EXPIRED'));
  client.close();

  // A year on, the operator issues a new code; the terminal enrols again with a new key.
  registry.setClockOffset(afterExpiry.getTime() - Date.now());
  try {
    const code = await registry.enrolmentCode('KIOSK-0005');
    const renewed = await loadOrEnrol({ ...base, enrolmentCode: code }, { now: afterExpiry });
    assert.equal(renewed.enrolledNow, true);
    assert.notEqual(renewed.identity.serial, first.identity.serial);
    assert.notEqual(renewed.credentials.keyPem, first.credentials.keyPem);
  } finally {
    registry.setClockOffset(0);
  }
});

test('a code issued for another terminal id is not accepted silently', async () => {
  const code = await registry.enrolmentCode('KIOSK-0006');
  const dataDir = await tempDir('sscard-agent-');
  await assert.rejects(
    loadOrEnrol({
      serviceUrl: registry.service.url,
      dataDir,
      terminalId: 'KIOSK-9999',
      caCertPath: registry.caCertPath,
      enrolmentCode: code,
    }),
    (e: unknown) => isRegistryError(e, 'ENROLMENT_REFUSED') && /KIOSK-0006/.test(e.message),
  );
  assert.deepEqual(await readdir(dataDir), []);
});
