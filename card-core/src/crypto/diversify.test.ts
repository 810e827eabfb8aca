import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { complement, fromHex, toHex } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { encrypt } from './cipher.js';
import { diversifyKey, diversifyKeyPath } from './diversify.js';
import { adjustDesParity } from './emv-keys.js';

const MK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const kcv = (key: Uint8Array) => toHex(encrypt('3des', key, Buffer.alloc(8), { mode: 'ecb' })).slice(0, 4);

describe('key diversification', () => {
  test('3DES is the EMV option A scheme: a published ICC master key check value', () => {
    // pyemv: issuer MK 0123…3210, PAN 12345678901234567, PSN 45 → ICC MK with check value FF08.
    // Option A diversifies with the rightmost 16 digits of PAN‖PSN and sets DES parity.
    const d = fromHex('4567890123456745');
    assert.equal(kcv(MK), '08D7');
    assert.equal(kcv(adjustDesParity(diversifyKey('3des', MK, d))), 'FF08');
  });

  test('3DES gives left = E(MK, D) and right = E(MK, ¬D)', () => {
    const d = fromHex('00BF7C7A48FB4966');
    const key = diversifyKey('3des', MK, d);
    assert.equal(key.length, 16);
    assert.deepEqual(key.subarray(0, 8), encrypt('3des', MK, d, { mode: 'ecb' }));
    assert.deepEqual(key.subarray(8), encrypt('3des', MK, complement(d), { mode: 'ecb' }));
  });

  test('SM4 gives E(MK, D‖¬D) in one block', () => {
    const d = fromHex('00BF7C7A48FB4966');
    const key = diversifyKey('sm4', MK, d);
    assert.equal(key.length, 16);
    assert.deepEqual(key, encrypt('sm4', MK, fromHex('00BF7C7A48FB4966FF408385B704B699'), { mode: 'ecb' }));
  });

  test('different cards get different keys', () => {
    for (const alg of ['3des', 'sm4'] as const) {
      assert.notDeepEqual(
        diversifyKey(alg, MK, fromHex('0000000000000001')),
        diversifyKey(alg, MK, fromHex('0000000000000002')),
      );
    }
  });

  test('a path diversifies level by level', () => {
    const d1 = fromHex('3303000000000000');
    const d2 = fromHex('00BF7C7A48FB4966');
    const direct = diversifyKey('sm4', diversifyKey('sm4', MK, d1), d2);
    assert.deepEqual(diversifyKeyPath('sm4', MK, [d1, d2]), direct);
    assert.throws(() => diversifyKeyPath('sm4', MK, []), CryptoError);
  });

  test('refuses diversification data that is not 8 bytes and wrong master key lengths', () => {
    assert.throws(() => diversifyKey('3des', MK, Buffer.alloc(7)), CryptoError);
    assert.throws(() => diversifyKey('sm4', Buffer.alloc(8), Buffer.alloc(8)), CryptoError);
  });
});
