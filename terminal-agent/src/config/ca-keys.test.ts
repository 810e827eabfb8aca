import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDirSync } from '@sscard/test-harness';
import { loadCaKeys } from './ca-keys.js';

const modulus = 'C3'.repeat(128);

function file(content: unknown): string {
  const path = join(tempDirSync('sscard-ca-keys-'), 'ca-keys.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('CA public key file', () => {
  it('reads a plain list with a numeric key index', () => {
    const [key] = loadCaKeys(file([{ rid: 'A000000333', index: 128, modulus, exponent: '03' }]));
    assert.equal(key?.index, 0x80);
    assert.equal(key?.rid.toString('hex').toUpperCase(), 'A000000333');
    assert.equal(key?.modulus.length, 128);
  });

  it('reads the public key document the emulator publishes, with a hex key index', () => {
    const keys = loadCaKeys(
      file({ version: 1, caPublicKeys: [{ rid: 'A000000333', index: '80', modulus, exponent: '010001' }] }),
    );
    assert.equal(keys.length, 1);
    assert.equal(keys[0]?.index, 0x80);
    assert.deepEqual([...keys[0]!.exponent], [1, 0, 1]);
  });

  it('names the file and the bad entry', () => {
    const path = file([{ rid: 'A0000003', index: 1, modulus, exponent: '03' }]);
    assert.throws(
      () => loadCaKeys(path),
      (e: Error) => e.message.includes(path),
    );
  });
});
