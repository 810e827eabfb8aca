import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { testKeyset } from '../testing/card-fixtures.js';
import { CA_KEY_BITS, ISSUER_KEY_BITS, loadKeyset, parseKeyset, publicKeyset, saveKeyset } from './keyset.js';

test('saves the keyset owner-readable only, in a directory it creates, and loads it back', async () => {
  const dir = await tempDir('sscard-keys-');
  const path = join(dir, 'nested', 'issuer.json');
  await saveKeyset(path, testKeyset());
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await loadKeyset(path), testKeyset());
});

test('generates 16-byte master keys per algorithm and a CA key longer than the issuer key', () => {
  const ks = testKeyset();
  for (const alg of ['3des', 'sm4'] as const) {
    for (const key of Object.values(ks.ssse[alg])) assert.match(key, /^[0-9A-F]{32}$/);
  }
  assert.notEqual(ks.ssse['3des'].internalAuth, ks.ssse.sm4.internalAuth);
  assert.equal(ks.emv.ca.key.modulus.length, CA_KEY_BITS / 4);
  assert.equal(ks.emv.issuer.key.modulus.length, ISSUER_KEY_BITS / 4);
  assert.equal(ks.emv.ca.rid, 'A000000333');
});

test('names the bad field of a keyset', () => {
  const broken = structuredClone(testKeyset()) as unknown as { ssse: { sm4: { update: string } } };
  broken.ssse.sm4.update = 'XYZ';
  assert.throws(() => parseKeyset(broken), /ssse\.sm4\.update/);
});

test('the public part holds the CA public key and nothing secret', () => {
  const ks = testKeyset();
  const pub = publicKeyset(ks);
  assert.deepEqual(pub.caPublicKeys, [
    { rid: 'A000000333', index: '80', modulus: ks.emv.ca.key.modulus, exponent: ks.emv.ca.key.exponent },
  ]);
  const text = JSON.stringify(pub);
  for (const secret of [
    ks.emv.ca.key.privateExponent!,
    ks.ssse.sm4.externalAuth,
    ks.emv.acMasterKeys['3des'],
  ]) {
    assert.equal(text.includes(secret), false);
  }
});
