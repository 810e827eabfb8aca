import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { padMethod1, padMethod2, unpadMethod2 } from './padding.js';

describe('ISO/IEC 9797-1 padding', () => {
  test('method 2 appends 80 then zeros, a whole block when the data is aligned', () => {
    assert.equal(toHex(padMethod2(fromHex('0102030405'), 8)), '0102030405800000');
    assert.equal(toHex(padMethod2(fromHex('0102030405060708'), 8)), '01020304050607088000000000000000');
    assert.equal(toHex(padMethod2(Buffer.alloc(0), 16)), '80000000000000000000000000000000');
  });

  test('method 2 unpadding inverts padding for any data and block size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(8, 16), (data, block) => {
        const padded = padMethod2(data, block);
        assert.equal(padded.length % block, 0);
        assert.deepEqual(unpadMethod2(padded, block), Buffer.from(data));
      }),
    );
  });

  test('method 2 unpadding rejects a missing marker, a marker outside the last block and partial blocks', () => {
    const bad = (e: unknown) => e instanceof CryptoError && e.code === 'PADDING_INVALID';
    assert.throws(() => unpadMethod2(fromHex('0102030405060708'), 8), bad);
    assert.throws(() => unpadMethod2(fromHex('0102030405060700'), 8), bad);
    assert.throws(() => unpadMethod2(fromHex('80000000000000000000000000000000'), 8), bad);
    assert.throws(() => unpadMethod2(fromHex('01028000'), 8), bad);
    assert.throws(() => unpadMethod2(Buffer.alloc(0), 8), bad);
  });

  test('method 1 adds zeros only when needed, and one block for empty data', () => {
    assert.equal(toHex(padMethod1(fromHex('0102'), 8)), '0102000000000000');
    assert.equal(toHex(padMethod1(fromHex('0102030405060708'), 8)), '0102030405060708');
    assert.equal(toHex(padMethod1(Buffer.alloc(0), 8)), '0000000000000000');
  });

  test('rejects block sizes other than 8 and 16', () => {
    assert.throws(() => padMethod2(Buffer.alloc(1), 12), CryptoError);
  });
});
