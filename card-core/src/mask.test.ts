import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { maskBirthDate, maskCardIdCode, maskCardNumber, maskIdNumber, maskName, maskPan } from './mask.js';

describe('masking', () => {
  test('keeps the region and the last four characters of an ID number', () => {
    assert.equal(maskIdNumber('110101199001011234'), '110101********1234');
    assert.equal(maskIdNumber('11010519491231002X'), '110105********002X');
    assert.equal(maskIdNumber('110101900101123'), '110101*****1123');
  });

  test('masks an ID number of unexpected length entirely, keeping its length', () => {
    assert.equal(maskIdNumber('1234567'), '*******');
    assert.equal(maskIdNumber('11010119900101123'), '*****************');
    assert.equal(maskIdNumber(''), '');
  });

  test('keeps only the first character of a name', () => {
    assert.equal(maskName('张三'), '张*');
    assert.equal(maskName('欧阳娜娜'), '欧***');
    assert.equal(maskName('张'), '*');
    assert.equal(maskName('𠮷野家'), '𠮷**');
  });

  test('keeps the first and the last two characters of a card number', () => {
    assert.equal(maskCardNumber('X00000019'), 'X******19');
    assert.equal(maskCardNumber('X0000001'), '********');
  });

  test('hides the issuer bytes of a card identification code but the last two', () => {
    assert.equal(maskCardIdCode('639900D15600000500BF7C7A48FB4966'), '639900D156000005************4966');
    assert.equal(maskCardIdCode('639900'), '******');
  });

  test('keeps the last four digits of a bank account number only', () => {
    assert.equal(maskPan('6217000012345678'), '************5678');
    assert.equal(maskPan('1234'), '****');
  });

  test('keeps the year of a birth date only', () => {
    assert.equal(maskBirthDate('1958-03-01'), '1958-**-**');
    assert.equal(maskBirthDate('19580301'), '********');
  });

  test('never changes the length and never reveals the middle of an ID number', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
        for (const mask of [maskIdNumber, maskName, maskCardNumber, maskCardIdCode, maskPan, maskBirthDate]) {
          assert.equal(Array.from(mask(s)).length, Array.from(s).length);
        }
        const masked = Array.from(maskIdNumber(s));
        if (masked.length === 18) assert.ok(masked.slice(6, 14).every((c) => c === '*'));
      }),
    );
  });
});
