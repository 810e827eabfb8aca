import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { access, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import {
  credentialPaths,
  installRenewedCredentials,
  loadCredentials,
  saveCredentials,
} from './credentials.js';

test('credentials reach the disk before their names do: each file, then its directory, is flushed', async () => {
  const dataDir = await tempDir('sscard-credentials-');
  const probe = await open(join(dataDir, 'probe'), 'w');
  const FileHandle = Object.getPrototypeOf(probe) as { sync(this: { fd: number }): Promise<void> };
  await probe.close();
  // Which files and directories were flushed, in order: the path behind the descriptor (Linux).
  const synced: string[] = [];
  const sync = FileHandle.sync;
  FileHandle.sync = function (this: { fd: number }) {
    synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
    return sync.call(this);
  };
  try {
    await saveCredentials(
      dataDir,
      { keyPem: 'KEY\n', certPem: 'CERT\n', caPem: 'CA\n' },
      {
        terminalId: 'K-1',
        serviceUrl: 'https://registry.example:8443',
        enrolledAt: new Date().toISOString(),
        caSource: 'configured',
        caFingerprint: 'AA',
      },
    );
  } finally {
    FileHandle.sync = sync;
  }
  const paths = credentialPaths(dataDir);
  for (const file of [paths.key, paths.ca, paths.record, paths.cert]) {
    const own = synced.findIndex((p) => p.startsWith(`${file}.`) && p.endsWith('.tmp'));
    assert.ok(own >= 0, `${file} was not flushed before its rename: ${synced.join(', ')}`);
    assert.equal(synced[own + 1], paths.dir, `the directory was not flushed after ${file}`);
  }
  assert.ok(synced.includes(dataDir), 'the new registry directory itself was not flushed');
  assert.equal(await readFile(paths.key, 'utf8'), 'KEY\n');
  assert.equal((await stat(paths.key)).mode & 0o777, 0o600);
  assert.equal((await stat(paths.dir)).mode & 0o777, 0o700);
});

test('a renewal stored whole but not installed when the power went is installed at the next load', async () => {
  const dataDir = await tempDir('sscard-credentials-');
  const record = {
    terminalId: 'K-1',
    serviceUrl: 'https://registry.example:8443',
    enrolledAt: new Date().toISOString(),
    caSource: 'configured' as const,
    caFingerprint: 'AA',
  };
  await saveCredentials(dataDir, { keyPem: 'OLD KEY\n', certPem: 'OLD CERT\n', caPem: 'CA\n' }, record);
  const paths = credentialPaths(dataDir);
  // What a crash right after the renewal file reached the disk leaves: the old pair installed.
  await writeFile(paths.renewal, JSON.stringify({ keyPem: 'NEW KEY\n', certPem: 'NEW CERT\n' }), {
    mode: 0o600,
  });
  const loaded = await loadCredentials(dataDir);
  assert.equal(loaded?.credentials.keyPem, 'NEW KEY\n');
  assert.equal(loaded?.credentials.certPem, 'NEW CERT\n');
  await assert.rejects(access(paths.renewal));

  await installRenewedCredentials(dataDir, 'NEWER KEY\n', 'NEWER CERT\n');
  assert.equal(await readFile(paths.key, 'utf8'), 'NEWER KEY\n');
  assert.equal(await readFile(paths.cert, 'utf8'), 'NEWER CERT\n');
  assert.equal((await stat(paths.key)).mode & 0o777, 0o600);
});
