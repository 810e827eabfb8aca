import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../errors.js';
import { diversificationData, isValidCardIdCode, parseCardIdCode } from './card-id.js';

const DESIGN_ID = '639900D15600000500BF7C7A48FB4966';

describe('card identification code', () => {
  test('splits the code into region, RID and issuer bytes', () => {
    const id = parseCardIdCode(DESIGN_ID.toLowerCase());
    assert.equal(id.region, '639900');
    assert.equal(id.rid, 'D156000005');
    assert.equal(id.issuerBytes.toString('hex').toUpperCase(), '00BF7C7A48FB4966');
    assert.equal(id.hex, DESIGN_ID);
    assert.equal(id.bytes.length, 16);
  });

  test('accepts the 16 bytes as well as the hex text', () => {
    assert.equal(parseCardIdCode(Buffer.from(DESIGN_ID, 'hex')).hex, DESIGN_ID);
  });

  test('rejects a wrong length, a non-BCD region, an unknown province and a foreign RID', () => {
    for (const bad of [
      DESIGN_ID.slice(0, 30),
      `${DESIGN_ID}00`,
      `6399A0${DESIGN_ID.slice(6)}`,
      `009900${DESIGN_ID.slice(6)}`,
      `639900D156000006${DESIGN_ID.slice(16)}`,
      'Z'.repeat(32),
    ]) {
      assert.throws(
        () => parseCardIdCode(bad),
        (e: unknown) => e instanceof ValidationError && e.code === 'CARD_ID_FORMAT',
        bad,
      );
      assert.equal(isValidCardIdCode(bad), false);
    }
    assert.throws(() => parseCardIdCode(new Uint8Array(15)), ValidationError);
  });

  test('takes the diversification data from the last 8 bytes', () => {
    assert.equal(diversificationData(DESIGN_ID).toString('hex').toUpperCase(), '00BF7C7A48FB4966');
  });

  test('returns issuer bytes that do not alias the caller’s buffer', () => {
    const input = Buffer.from(DESIGN_ID, 'hex');
    const d = diversificationData(input);
    d.fill(0);
    assert.equal(input.toString('hex').toUpperCase(), DESIGN_ID);
  });
});
