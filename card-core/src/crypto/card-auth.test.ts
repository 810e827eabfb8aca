import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { diversificationData } from '../ssse/card-id.js';
import {
  authBlockSize,
  challengeBlock,
  externalAuthCryptogram,
  internalAuthCryptogram,
  ssseCardKey,
} from './card-auth.js';
import { encrypt } from './cipher.js';
import { diversifyKey } from './diversify.js';

const CARD_ID = '639900D15600000500BF7C7A48FB4966';

describe('card authentication cryptograms', () => {
  test('the challenge is one block: 8 bytes for 3DES, 16 for SM4', () => {
    assert.equal(authBlockSize('3des'), 8);
    assert.equal(authBlockSize('sm4'), 16);
  });

  test('INTERNAL AUTHENTICATE is one ECB block under the card key (GB/T 32907 example for SM4)', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    assert.equal(toHex(internalAuthCryptogram('sm4', k, k)), '681EDF34D206965E86B3E94F536E4246');
    const r = fromHex('1122334455667788');
    assert.deepEqual(internalAuthCryptogram('3des', k, r), encrypt('3des', k, r, { mode: 'ecb' }));
    assert.throws(() => internalAuthCryptogram('sm4', k, r), CryptoError);
  });

  test('EXTERNAL AUTHENTICATE encrypts the 8-byte challenge padded with zeros to one block', () => {
    const k = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const c = fromHex('0123456789ABCDEF');
    const sm4 = externalAuthCryptogram('sm4', k, c);
    assert.equal(sm4.length, 16);
    assert.deepEqual(sm4, encrypt('sm4', k, fromHex('0123456789ABCDEF0000000000000000'), { mode: 'ecb' }));
    assert.deepEqual(externalAuthCryptogram('3des', k, c), encrypt('3des', k, c, { mode: 'ecb' }));
    assert.throws(() => externalAuthCryptogram('sm4', k, fromHex('01020304')), CryptoError);
  });

  test('challengeBlock pads a GET CHALLENGE value for use as a MAC IV', () => {
    assert.equal(toHex(challengeBlock('3des', fromHex('01020304'))), '0102030400000000');
    assert.equal(challengeBlock('sm4', fromHex('0102030405060708')).length, 16);
    assert.throws(() => challengeBlock('3des', Buffer.alloc(9)), CryptoError);
  });

  test('the card key uses the same diversification data as the SSSE card identification code', () => {
    const mk = fromHex('00112233445566778899AABBCCDDEEFF');
    const id = fromHex(CARD_ID);
    for (const alg of ['3des', 'sm4'] as const) {
      assert.deepEqual(ssseCardKey(alg, mk, id), diversifyKey(alg, mk, diversificationData(CARD_ID)));
    }
    assert.throws(() => ssseCardKey('sm4', mk, id.subarray(0, 15)), CryptoError);
  });
});
