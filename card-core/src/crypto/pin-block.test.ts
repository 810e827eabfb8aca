import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHex } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { encrypt } from './cipher.js';
import {
  decipherPinBlock,
  encipherPinBlock,
  format0ClearBlock,
  format4PanField,
  format4PinField,
  pinFromFormat0ClearBlock,
} from './pin-block.js';
import { pinVerificationValue } from './pin-verification.js';

const pins = fc.stringMatching(/^\d{4,12}$/);
const pans = fc.stringMatching(/^\d{13,19}$/);
const key16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('ISO 9564-1 format 0', () => {
  test('gives the textbook block of PIN 1234 for PAN 43219876543210987', () => {
    assert.equal(toHex(format0ClearBlock('1234', '43219876543210987')), '0412AC89ABCDEF67');
  });

  test('is one 3DES ECB block of the clear block, and deciphers back to the PIN', () => {
    const key = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const block = encipherPinBlock(0, key, '1234', '43219876543210987');
    assert.equal(toHex(block), toHex(encrypt('3des', key, fromHex('0412AC89ABCDEF67'), { mode: 'ecb' })));
    assert.equal(decipherPinBlock(0, key, block, '43219876543210987'), '1234');
  });

  test('refuses a block for another account or under another key', () => {
    const key = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const block = encipherPinBlock(0, key, '123456', '6231234567890123456');
    assert.throws(() => decipherPinBlock(0, key, block, '6231234567890999996'), CryptoError);
    assert.throws(
      () => pinFromFormat0ClearBlock(fromHex('0412AC89ABCDEF67'), '43219876543210007'),
      CryptoError,
    );
    assert.throws(() => decipherPinBlock(0, key, block.subarray(0, 7), '6231234567890123456'), CryptoError);
  });

  test('round-trips every PIN and PAN', () => {
    fc.assert(
      fc.property(key16, pins, pans, (key, pin, pan) => {
        assert.equal(decipherPinBlock(0, key, encipherPinBlock(0, key, pin, pan), pan), pin);
      }),
      { numRuns: 100 },
    );
  });
});

describe('ISO 9564-1 format 4', () => {
  // ANSI X9.24-3:2017 supplement, AES PIN block format 4 example: PIN 1234, PAN 4111111111111111.
  test('builds the PIN and PAN fields of the X9.24-3 example', () => {
    const pinField = format4PinField('1234', fromHex('0001020304050607'));
    assert.equal(toHex(pinField.subarray(0, 8)), '441234AAAAAAAAAA');
    assert.equal(toHex(pinField.subarray(8)), '0001020304050607');
    assert.equal(toHex(format4PanField('4111111111111111')), '44111111111111111000000000000000');
    assert.equal(toHex(format4PinField('12345', Buffer.alloc(8)).subarray(0, 8)), '4512345AAAAAAAAA');
    assert.equal(toHex(format4PanField('123456789')), '00001234567890000000000000000000');
  });

  test('is E(K, E(K, PIN field) XOR PAN field), different each time, and deciphers back', () => {
    const key = fromHex('00112233445566778899AABBCCDDEEFF');
    const a = encipherPinBlock(4, key, '1234', '4111111111111111');
    const b = encipherPinBlock(4, key, '1234', '4111111111111111');
    assert.notEqual(toHex(a), toHex(b));
    const panField = format4PanField('4111111111111111');
    const aes = (data: Buffer) => {
      const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
      return Buffer.concat([c.update(data), c.final()]);
    };
    const aesInverse = (data: Buffer) => {
      const d = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
      return Buffer.concat([d.update(data), d.final()]);
    };
    const withPan = (data: Buffer) => Buffer.from(data.map((x, i) => x ^ panField[i]!));
    const pinField = aesInverse(withPan(aesInverse(a)));
    assert.equal(toHex(pinField.subarray(0, 8)), '441234AAAAAAAAAA');
    assert.equal(toHex(aes(withPan(aes(pinField)))), toHex(a));
    assert.equal(decipherPinBlock(4, key, a, '4111111111111111'), '1234');
    assert.equal(decipherPinBlock(4, key, b, '4111111111111111'), '1234');
  });

  test('refuses a block for another account, under another key, or of the wrong length', () => {
    const key = fromHex('00112233445566778899AABBCCDDEEFF');
    const block = encipherPinBlock(4, key, '123456', '6231234567890123456');
    assert.throws(() => decipherPinBlock(4, key, block, '6231234567890123457'), CryptoError);
    assert.throws(() => decipherPinBlock(4, Buffer.alloc(16, 1), block, '6231234567890123456'), CryptoError);
    assert.throws(() => decipherPinBlock(4, key, block.subarray(0, 8), '6231234567890123456'), CryptoError);
    assert.throws(() => encipherPinBlock(4, key.subarray(0, 8), '1234', '4111111111111111'), CryptoError);
  });

  test('round-trips every PIN and PAN', () => {
    fc.assert(
      fc.property(key16, pins, pans, (key, pin, pan) => {
        assert.equal(decipherPinBlock(4, key, encipherPinBlock(4, key, pin, pan), pan), pin);
      }),
      { numRuns: 100 },
    );
  });
});

describe('PIN verification value', () => {
  test('takes the decimal digits of 3DES(PVK, TSP) first, then the letters minus 10', () => {
    const pvk = fromHex('0123456789ABCDEFFEDCBA9876543210');
    const pan = '4123456789012345';
    const r = toHex(encrypt('3des', pvk, fromHex('45678901234' + '1' + '1234'), { mode: 'ecb' }));
    const expected = [
      ...r.replace(/[A-F]/g, ''),
      ...r
        .replace(/\d/g, '')
        .split('')
        .map((c) => String(c.charCodeAt(0) - 65)),
    ]
      .slice(0, 4)
      .join('');
    assert.equal(pinVerificationValue(pvk, pan, 1, '1234'), expected);
    assert.match(expected, /^\d{4}$/);
    assert.notEqual(pinVerificationValue(pvk, pan, 1, '1235'), pinVerificationValue(pvk, pan, 1, '1234'));
  });
});
