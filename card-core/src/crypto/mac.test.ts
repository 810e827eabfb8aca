import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { encrypt } from './cipher.js';
import {
  cardMac,
  constantTimeEqual,
  desMac,
  retailMac,
  singleBlockMacInput,
  sm4CbcMac,
  verifyMac,
} from './mac.js';
import { padMethod2 } from './padding.js';

describe('retail MAC (ISO/IEC 9797-1 algorithm 3, padding method 2)', () => {
  test('gives the ICAO 9303 part 11 appendix D.3 MACs', () => {
    const k = fromHex('7962D9ECE03D1ACD4C76089DCE131543');
    const eIfd = fromHex('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2');
    const eIc = fromHex('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F');
    assert.equal(toHex(retailMac(k, eIfd)), '5F1448EEA8AD90A7');
    assert.equal(toHex(retailMac(k, eIc)), '2F2D235D074D7449');
  });

  test('gives the PBOC application cryptogram of a published GENERATE AC exchange', () => {
    const sk = fromHex('C3D3F062E9992B4E923D338D66193526');
    const data = fromHex('0000000012340000000000340156D86004A800015612051601010101017C00000E03A4B904');
    assert.equal(toHex(retailMac(sk, data)), 'F294D7022FA9B058');
  });

  test('with K1 = K2 equals the single-DES CBC-MAC (algorithm 1)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 30 }),
        (k, data) => {
          assert.deepEqual(retailMac(Buffer.concat([k, k]), data), desMac(k, data));
        },
      ),
      { numRuns: 30 },
    );
  });

  test('chains from the given IV', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const data = fromHex('0102030405060708090A');
    const iv = fromHex('1122334455667788');
    assert.notDeepEqual(retailMac(k, data, iv), retailMac(k, data));
    // An IV is the same as xoring it into the first data block.
    const first = Buffer.from(data);
    for (let i = 0; i < 8; i++) first[i]! ^= iv[i]!;
    assert.deepEqual(retailMac(k, data, iv), retailMac(k, first));
  });

  test('refuses a key that is not 16 bytes', () => {
    assert.throws(() => retailMac(Buffer.alloc(24), Buffer.alloc(1)), CryptoError);
  });
});

describe('SM4 CBC-MAC and the card MAC', () => {
  test('is the last block of SM4 CBC over the method 2 padded data', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const data = Buffer.from('social security card');
    const cbc = encrypt('sm4', k, padMethod2(data, 16), { mode: 'cbc' });
    assert.deepEqual(sm4CbcMac(k, data), cbc.subarray(cbc.length - 16));
    assert.equal(sm4CbcMac(k, data).length, 16);
  });

  test('cardMac is the first 4 bytes of the algorithm MAC', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const data = fromHex('123456');
    assert.deepEqual(cardMac('3des', k, data), retailMac(k, data).subarray(0, 4));
    assert.deepEqual(
      cardMac('sm4', k, data, Buffer.alloc(16, 7)),
      sm4CbcMac(k, data, Buffer.alloc(16, 7)).subarray(0, 4),
    );
  });

  test('verifyMac accepts the MAC, rejects one flipped bit, other data and a MAC shorter than 4 bytes', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const data = fromHex('04DC012C0A0102');
    for (const alg of ['3des', 'sm4'] as const) {
      const mac = cardMac(alg, k, data);
      assert.equal(verifyMac(alg, k, data, mac), true);
      const flipped = Buffer.from(mac);
      flipped[3]! ^= 0x01;
      assert.equal(verifyMac(alg, k, data, flipped), false);
      assert.equal(verifyMac(alg, k, fromHex('04DC012C0A0103'), mac), false);
      assert.throws(() => verifyMac(alg, k, data, mac.subarray(0, 3)), CryptoError);
    }
  });

  test('constantTimeEqual treats different lengths as unequal', () => {
    assert.equal(constantTimeEqual(fromHex('0102'), fromHex('0102')), true);
    assert.equal(constantTimeEqual(fromHex('0102'), fromHex('010203')), false);
  });
});

describe('the one-block MAC input a PSAM encrypts', () => {
  test('its encryption under the card key is the card MAC, for every short input, key and IV', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('3des' as const, 'sm4' as const),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 0, maxLength: 7 }),
        (alg, key, ivBytes, data) => {
          const iv = Buffer.from(ivBytes.subarray(0, alg === '3des' ? 8 : 16));
          const block = singleBlockMacInput(alg, data, iv);
          const encrypted = encrypt(alg, key, block, { mode: 'ecb' });
          assert.deepEqual(encrypted.subarray(0, 4), cardMac(alg, key, data, iv));
        },
      ),
      { numRuns: 100 },
    );
  });

  test('refuses data of a block or more, and an IV of another length', () => {
    assert.throws(() => singleBlockMacInput('3des', Buffer.alloc(8), Buffer.alloc(8)), CryptoError);
    assert.throws(() => singleBlockMacInput('sm4', Buffer.alloc(3), Buffer.alloc(8)), CryptoError);
  });
});
