import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeReturnCode,
  isMinistryReturnCode,
  MINISTRY_RETURN_CODE_MEANINGS,
  MinistryReturnCode,
  statusWordOfReturnCode,
} from './ministry.js';
import { PIN_OUTCOMES, pinOutcomeOf } from './pin.js';

describe('ministry return codes', () => {
  test('name every code of the interface, each with its meaning in Chinese and English', () => {
    const codes = [
      0, -1, -2, -3, -4, -11, -12, -13, -14, -20, -21, -22, -23, -24, -31, -32, -33, -34, -35, -36, -41, -42,
      -51, -52, -2201, -2202, -2203, -2204, -2205,
    ];
    assert.deepEqual(
      Object.values(MinistryReturnCode).sort((a, b) => b - a),
      codes,
    );
    for (const code of codes) {
      assert.ok(isMinistryReturnCode(code), String(code));
      const meaning = MINISTRY_RETURN_CODE_MEANINGS[code as MinistryReturnCode];
      assert.ok(meaning.zh.length > 0 && meaning.en.length > 0, String(code));
    }
    assert.equal(MINISTRY_RETURN_CODE_MEANINGS[MinistryReturnCode.PIN_LOCKED].en, 'PIN locked');
    assert.equal(isMinistryReturnCode(-7), false);
  });

  test('a status word passed through is read back; the interface codes carry none', () => {
    assert.equal(statusWordOfReturnCode(-27266), 0x6a82);
    assert.equal(statusWordOfReturnCode(-25536), 0x63c0);
    assert.equal(statusWordOfReturnCode(-2201), undefined);
    assert.equal(statusWordOfReturnCode(0), undefined);
  });

  test('describes interface codes and passed-through status words', () => {
    assert.equal(describeReturnCode(-2).en, 'no card');
    assert.equal(describeReturnCode(-27266).en, 'card answered status word 6A82');
    assert.match(describeReturnCode(-7).en, /unknown/);
  });
});

describe('PIN outcomes', () => {
  test('each named outcome is its ministry code, and back', () => {
    assert.equal(PIN_OUTCOMES.cancelled, -31);
    assert.equal(PIN_OUTCOMES.locked, -52);
    for (const [outcome, code] of Object.entries(PIN_OUTCOMES)) assert.equal(pinOutcomeOf(code), outcome);
  });

  test('a card status word is a card error, not a PIN outcome', () => {
    assert.equal(pinOutcomeOf(-0x6983), 'card-error');
    assert.equal(pinOutcomeOf(-2), 'card-error');
  });
});
