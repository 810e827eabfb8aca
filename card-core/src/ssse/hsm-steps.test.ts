import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatHsmKey,
  formatHsmStep1,
  type HsmStep1Fields,
  parseHsmKey,
  parseHsmStep1,
} from './hsm-steps.js';

const SM4_STEP: HsmStep1Fields = {
  region: '330300',
  atrHistorical: '0081544CA3330300AD932A48',
  algorithm: 'sm4',
  cardIdCode: '330300D156000005AD932A48FB4966C1',
  challenge: '0102030405060708',
  random: 'A1A2A3A4A5A6A7A8',
  internalAnswer: '00112233445566778899AABBCCDDEEFF',
  terminalNumber: '330300000042',
};

describe('the two-step calls of the ministry interface', () => {
  test('a first step is 9 fields with four 8-byte values, and reads back as written', () => {
    const text = formatHsmStep1(SM4_STEP);
    assert.equal(
      text,
      '330300|0081544CA3330300AD932A48|04|330300D156000005AD932A48FB4966C1|0102030405060708|A1A2A3A4A5A6A7A8|0011223344556677|8899AABBCCDDEEFF|330300000042|',
    );
    assert.deepEqual(parseHsmStep1(text), SM4_STEP);
  });

  test("a 3DES card's 8-byte answer is followed by 8 zero bytes, and nothing else is taken there", () => {
    const des = { ...SM4_STEP, algorithm: '3des' as const, internalAnswer: '0011223344556677' };
    const text = formatHsmStep1(des);
    assert.equal(text.split('|')[2], '01');
    assert.equal(text.split('|')[7], '0000000000000000');
    assert.deepEqual(parseHsmStep1(text), des);
    assert.throws(
      () => parseHsmStep1(text.replace('|0000000000000000|', '|0000000000000001|')),
      /zero bytes/,
    );
    assert.throws(() => formatHsmStep1({ ...des, internalAnswer: SM4_STEP.internalAnswer }), /8 bytes/);
  });

  test('refuses a step with a field missing, an unknown algorithm or a value of the wrong length', () => {
    const text = formatHsmStep1(SM4_STEP);
    assert.throws(() => parseHsmStep1(text.slice(0, -1)), /9 fields/);
    assert.throws(() => parseHsmStep1(text.replace('|04|', '|03|')), /flag/);
    assert.throws(() => parseHsmStep1(text.replace('0102030405060708', '01020304')), /challenge/);
  });

  test('the HSM key reads back with or without its trailing separator, and nothing else', () => {
    const key = { internal: '00112233445566778899AABBCCDDEEFF', external: 'A1B2C3D4' };
    assert.equal(formatHsmKey(key), '00112233445566778899AABBCCDDEEFF|A1B2C3D4|');
    assert.deepEqual(parseHsmKey(formatHsmKey(key)), key);
    assert.deepEqual(parseHsmKey('00112233445566778899aabbccddeeff|a1b2c3d4'), key);
    for (const bad of ['', 'A1|', 'A1|B2|C3|', 'XYZ|A1|', `${'00'.repeat(17)}|A1|`]) {
      assert.throws(() => parseHsmKey(bad), /internal/, bad);
    }
  });
});
