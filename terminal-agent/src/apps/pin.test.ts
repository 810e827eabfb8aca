import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PinEntryError } from '../pinpad/errors.js';
import { describePinStatus, pinToBcd } from './pin.js';

describe('PIN encoding', () => {
  it('packs six ASCII digits into three BCD bytes', () => {
    assert.equal(pinToBcd(Buffer.from('123456')).toString('hex'), '123456');
  });
  it('refuses a PIN of the wrong length with the PIN pad length code', () => {
    assert.throws(
      () => pinToBcd(Buffer.from('12345')),
      (e) => e instanceof PinEntryError && e.returnCode === -33,
    );
  });
  it('refuses characters that are not digits', () => {
    assert.throws(() => pinToBcd(Buffer.from('12345A')), PinEntryError);
  });
});

describe('PIN messages', () => {
  it('tells the citizen how many tries are left, in Chinese and English', () => {
    const m = describePinStatus({ state: 'wrong', triesLeft: 2 });
    assert.match(m.zh, /还可以再试 2 次/);
    assert.match(m.en, /2 tries left/);
  });
  it('says where to go when the PIN is locked', () => {
    const m = describePinStatus({ state: 'blocked' });
    assert.match(m.zh, /已锁定/);
    assert.match(m.en, /locked/);
  });
});
