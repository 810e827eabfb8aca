import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isSscardError, SscardError, ValidationError } from './errors.js';
import {
  CardError,
  correctLeSw,
  describeStatusWord,
  isSuccess,
  moreDataSw,
  requireSuccess,
  SW,
  triesLeftSw,
} from './status-words.js';

describe('describeStatusWord', () => {
  test('knows every status word the social security card and PBOC terminals meet', () => {
    const expected: Record<number, [string, 'success' | 'warning' | 'error']> = {
      36864: ['Success', 'success'],
      25217: ['Part of the returned data may be corrupted', 'warning'],
      25219: ['Selected file deactivated', 'warning'],
      25985: ['Memory failure', 'error'],
      26368: ['Wrong length', 'error'],
      27010: ['Security status not satisfied', 'error'],
      27011: ['Authentication method blocked', 'error'],
      27012: ['Reference data not usable', 'error'],
      27013: ['Conditions of use not satisfied', 'error'],
      27014: ['Command not allowed (no current EF)', 'error'],
      27264: ['Incorrect parameters in the data field', 'error'],
      27265: ['Function not supported', 'error'],
      27266: ['File or application not found', 'error'],
      27267: ['Record not found', 'error'],
      27270: ['Incorrect parameters P1-P2', 'error'],
      27272: ['Referenced data or key not found', 'error'],
      27392: ['Wrong parameters P1-P2', 'error'],
      27904: ['Instruction not supported', 'error'],
      28160: ['Class not supported', 'error'],
      28416: ['No precise diagnosis', 'error'],
    };
    for (const [sw, [meaning, kind]] of Object.entries(expected)) {
      const info = describeStatusWord(Number(sw));
      assert.equal(info.meaning, meaning, `meaning of ${info.hex}`);
      assert.equal(info.kind, kind, `kind of ${info.hex}`);
      assert.ok(info.meaningZh.length > 0, `Chinese meaning of ${info.hex}`);
    }
  });

  test('names each constant of SW with a table entry, never the SW1 fallback', () => {
    for (const [name, sw] of Object.entries(SW)) {
      const info = describeStatusWord(sw);
      assert.notEqual(info.meaning, 'Not a valid status word', name);
      assert.notEqual(info.meaning, 'Proprietary status', name);
    }
  });

  test('reads the tries left from 63Cx', () => {
    const two = describeStatusWord(0x63c2);
    assert.equal(two.triesLeft, 2);
    assert.equal(two.kind, 'warning');
    assert.equal(two.meaning, 'Verification failed, 2 tries left');
    assert.equal(two.meaningZh, '密码错误，还可尝试2次');
    assert.equal(describeStatusWord(0x63c1).meaning, 'Verification failed, 1 try left');
    assert.equal(describeStatusWord(0x63c0).triesLeft, 0);
    assert.equal(describeStatusWord(0x6300).triesLeft, undefined);
  });

  test('reads the waiting bytes from 61xx and the right Le from 6Cxx, 00 meaning 256', () => {
    assert.equal(describeStatusWord(0x611e).moreData, 30);
    assert.equal(describeStatusWord(0x611e).kind, 'success');
    assert.equal(describeStatusWord(0x6100).moreData, 256);
    assert.equal(describeStatusWord(0x6c14).correctLe, 20);
    assert.equal(describeStatusWord(0x6c00).correctLe, 256);
    assert.equal(describeStatusWord(0x6c14).kind, 'error');
  });

  test('falls back to the meaning of SW1 for status words not in the table', () => {
    assert.equal(describeStatusWord(0x6a8f).meaning, 'Wrong parameters');
    assert.equal(describeStatusWord(0x6999).meaning, 'Command not allowed');
    assert.equal(describeStatusWord(0x62f1).kind, 'warning');
    assert.equal(describeStatusWord(0x6412).kind, 'error');
    assert.equal(describeStatusWord(0x9401).meaning, 'Proprietary status');
  });

  test('calls anything outside 6X and 9X not a status word', () => {
    for (const sw of [0x0000, 0x6000, 0x6012, 0x7000, 0xa000, 0xffff]) {
      const info = describeStatusWord(sw);
      assert.equal(info.meaning, 'Not a valid status word', info.hex);
      assert.equal(info.kind, 'error');
    }
  });

  test('refuses numbers that are not a status word', () => {
    for (const bad of [-1, 0x10000, 1.5, Number.NaN]) {
      assert.throws(() => describeStatusWord(bad), ValidationError);
    }
  });

  test('describes every 16-bit value without throwing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (sw) => {
        const info = describeStatusWord(sw);
        assert.equal(info.sw, sw);
        assert.equal(info.hex.length, 4);
        assert.ok(info.meaning.length > 0 && info.meaningZh.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('status word builders', () => {
  test('build 61xx, 6Cxx and 63Cx with 256 written as 00', () => {
    assert.equal(moreDataSw(30), 0x611e);
    assert.equal(moreDataSw(256), 0x6100);
    assert.equal(correctLeSw(11), 0x6c0b);
    assert.equal(correctLeSw(256), 0x6c00);
    assert.equal(triesLeftSw(2), 0x63c2);
    assert.equal(triesLeftSw(0), 0x63c0);
  });

  test('refuse counts that SW2 cannot carry', () => {
    for (const bad of [0, 257, 1.5]) {
      assert.throws(() => moreDataSw(bad), ValidationError);
      assert.throws(() => correctLeSw(bad), ValidationError);
    }
    for (const bad of [-1, 16]) assert.throws(() => triesLeftSw(bad), ValidationError);
  });

  test('round-trip through describeStatusWord', () => {
    for (let n = 1; n <= 256; n++) {
      assert.equal(describeStatusWord(moreDataSw(n)).moreData, n);
      assert.equal(describeStatusWord(correctLeSw(n)).correctLe, n);
    }
    for (let n = 0; n <= 15; n++) assert.equal(describeStatusWord(triesLeftSw(n)).triesLeft, n);
  });
});

describe('CardError and requireSuccess', () => {
  test('isSuccess accepts 9000 only, since 61xx still holds data at the card', () => {
    assert.equal(isSuccess(0x9000), true);
    assert.equal(isSuccess(0x611e), false);
    assert.equal(isSuccess(0x6283), false);
  });

  test('returns the data of a 9000 response', () => {
    const data = Buffer.from('0102', 'hex');
    assert.equal(requireSuccess({ data, sw: 0x9000 }), data);
  });

  test('throws a CardError named for the status word', () => {
    assert.throws(
      () => requireSuccess({ data: Buffer.alloc(0), sw: 0x6a82 }, 'selecting EF05'),
      (e: unknown) => {
        assert.ok(e instanceof CardError);
        assert.ok(e instanceof SscardError);
        assert.ok(isSscardError(e));
        assert.equal(e.code, 'SW_6A82');
        assert.equal(e.sw, 0x6a82);
        assert.equal(e.meaning, 'File or application not found');
        assert.equal(e.meaningZh, '文件或应用未找到');
        assert.equal(e.triesLeft, undefined);
        assert.equal(e.name, 'CardError');
        assert.equal(e.message, 'selecting EF05: card answered 6A82 (File or application not found)');
        assert.deepEqual(e.details, { sw: '6A82' });
        return true;
      },
    );
  });

  test('carries the tries left of a wrong PIN', () => {
    const e = new CardError(0x63c1);
    assert.equal(e.code, 'SW_63C1');
    assert.equal(e.triesLeft, 1);
    assert.deepEqual(e.details, { sw: '63C1', triesLeft: 1 });
    assert.equal(e.message, 'card answered 63C1 (Verification failed, 1 try left)');
  });

  test('treats a warning as a failure too', () => {
    assert.throws(() => requireSuccess({ data: Buffer.alloc(4), sw: 0x6281 }), CardError);
  });
});
