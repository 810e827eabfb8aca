import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValidationError } from '../errors.js';
import { cardNumberCheckChar, isValidCardNumber } from './card-number.js';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

test('a number with its own check character is valid', () => {
  for (const body of ['A0000001', 'X0000001', 'ZZZZZZZZ', '00000000', 'B1234567']) {
    assert.ok(isValidCardNumber(body + cardNumberCheckChar(body)), body);
  }
});

test('the check character matches the ISO/IEC 7064 MOD 37,36 worked property: residue 1 over the whole number', () => {
  // In the hybrid system the full number (with check character) leaves s = 1 at the last step.
  const number = 'A0000001' + cardNumberCheckChar('A0000001');
  let p = 36;
  let s = 0;
  for (const ch of number) {
    s = (p + ALPHABET.indexOf(ch)) % 36;
    if (s === 0) s = 36;
    p = (s * 2) % 37;
  }
  assert.equal(s, 1);
});

test('detects every single-character substitution', () => {
  const good = 'C7654321' + cardNumberCheckChar('C7654321');
  for (let i = 0; i < 9; i++) {
    for (const ch of ALPHABET) {
      if (ch === good[i]) continue;
      const bad = good.slice(0, i) + ch + good.slice(i + 1);
      assert.equal(isValidCardNumber(bad), false, bad);
    }
  }
});

test('detects every adjacent transposition', () => {
  const good = 'K3141592' + cardNumberCheckChar('K3141592');
  for (let i = 0; i < 8; i++) {
    if (good[i] === good[i + 1]) continue;
    const bad = good.slice(0, i) + good[i + 1] + good[i] + good.slice(i + 2);
    assert.equal(isValidCardNumber(bad), false, bad);
  }
});

test('rejects numbers of the wrong form', () => {
  assert.equal(isValidCardNumber('a00000011'), false);
  assert.equal(isValidCardNumber('A000000'), false);
  assert.throws(() => cardNumberCheckChar('A00000-1'), ValidationError);
});
