import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError, ValidationError } from '../errors.js';
import { decodeBcd, decodeBcdDate, decodeGbk, encodeBcd, encodeBcdDate, encodeGbk } from './encoding.js';
import { chineseName } from '../testing/field-arbitraries.js';

describe('GBK text', () => {
  test('encodes a name in GBK and pads it with 0x00 to the field length', () => {
    const bytes = encodeGbk('张三', 30);
    assert.equal(bytes.length, 30);
    assert.equal(bytes.subarray(0, 4).toString('hex').toUpperCase(), 'D5C5C8FD');
    assert.ok(bytes.subarray(4).every((b) => b === 0));
  });

  test('refuses text longer than the field', () => {
    assert.throws(
      () => encodeGbk('一二三四五六七八九十一二三四五六', 30),
      (e: unknown) => {
        return e instanceof ValidationError && e.code === 'GBK_TOO_LONG';
      },
    );
  });

  test('refuses characters GBK cannot encode instead of writing "?"', () => {
    assert.throws(
      () => encodeGbk('张😀'),
      (e: unknown) => e instanceof ValidationError && e.code === 'GBK_UNENCODABLE',
    );
    assert.throws(() => encodeGbk('가'), ValidationError);
  });

  test('strips 0x00 and 0x20 padding when decoding', () => {
    assert.equal(decodeGbk(Buffer.from('D5C5C8FD00000000', 'hex')), '张三');
    assert.equal(decodeGbk(Buffer.from('D5C5C8FD20202020', 'hex')), '张三');
    assert.equal(decodeGbk(Buffer.alloc(30)), '');
  });

  test('rejects bytes that are not GBK and a NUL inside the text', () => {
    assert.throws(() => decodeGbk(Buffer.from('D5FF', 'hex')), ProtocolError);
    assert.throws(() => decodeGbk(Buffer.from('D5C500C8FD', 'hex')), ProtocolError);
  });

  test('round-trips Chinese names through a padded field', () => {
    fc.assert(
      fc.property(chineseName(), (name) => {
        assert.equal(decodeGbk(encodeGbk(name, 30)), name);
      }),
    );
  });
});

describe('BCD', () => {
  test('packs digits two per byte and pads an odd count with F', () => {
    assert.equal(encodeBcd('330300').toString('hex'), '330300');
    assert.equal(encodeBcd('12345').toString('hex'), '12345f');
    assert.equal(encodeBcd('123', 4).toString('hex'), '123fffff');
  });

  test('refuses non-digits and digits that do not fit', () => {
    assert.throws(() => encodeBcd('12a4'), ValidationError);
    assert.throws(() => encodeBcd('1234567', 3), ValidationError);
  });

  test('rejects nibbles A–E always, and F unless trailing padding is allowed', () => {
    assert.throws(() => decodeBcd(Buffer.from('12A4', 'hex')), ProtocolError);
    assert.throws(() => decodeBcd(Buffer.from('123F', 'hex')), ProtocolError);
    assert.equal(decodeBcd(Buffer.from('123F', 'hex'), { allowPadding: true }), '123');
    assert.throws(() => decodeBcd(Buffer.from('1F23', 'hex'), { allowPadding: true }), ProtocolError);
  });

  test('round-trips any digit string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,40}$/), (digits) => {
        assert.equal(decodeBcd(encodeBcd(digits), { allowPadding: true }), digits);
        if (digits.length % 2 === 0) assert.equal(decodeBcd(encodeBcd(digits)), digits);
      }),
    );
  });
});

describe('BCD dates', () => {
  test('encodes YYYYMMDD in 4 bytes', () => {
    assert.equal(encodeBcdDate('20101001').toString('hex'), '20101001');
    assert.equal(decodeBcdDate(Buffer.from('20240229', 'hex')), '20240229');
  });

  test('refuses days the calendar does not have', () => {
    for (const bad of ['20230229', '19000229', '20241301', '20240431', '20240100', '2024011', '2024-1-1']) {
      assert.throws(() => encodeBcdDate(bad), ValidationError, bad);
    }
    assert.equal(encodeBcdDate('20000229').toString('hex'), '20000229');
  });

  test('tells malformed date bytes from an impossible date', () => {
    assert.throws(() => decodeBcdDate(Buffer.from('2024022', 'hex')), ProtocolError);
    assert.throws(() => decodeBcdDate(Buffer.from('2024AA01', 'hex')), ProtocolError);
    assert.throws(() => decodeBcdDate(Buffer.from('20230229', 'hex')), ValidationError);
  });

  test('round-trips every day from 1900 to 2100', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2100-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        (d) => {
          const text = d.toISOString().slice(0, 10).replaceAll('-', '');
          assert.equal(decodeBcdDate(encodeBcdDate(text)), text);
        },
      ),
    );
  });
});
