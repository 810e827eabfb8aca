import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PinEntryError } from '../pinpad/errors.js';
import { checkNewPin, describePinStatus, pinToBcd } from './pin.js';

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

describe('new PIN rule', () => {
  const refusal = (pin: string) => {
    try {
      checkNewPin(Buffer.from(pin));
      return 0;
    } catch (e) {
      assert.ok(e instanceof PinEntryError);
      return e.returnCode;
    }
  };

  it('refuses the initial PIN with -36', () => {
    assert.equal(refusal('123456'), -36);
  });
  it('refuses one digit repeated and consecutive digits with -35', () => {
    for (const pin of ['000000', '777777', '012345', '456789', '987654', '543210']) {
      assert.equal(refusal(pin), -35, pin);
    }
  });
  it('accepts PINs that only look a little regular', () => {
    for (const pin of ['123457', '112233', '135790', '890123', '024680']) assert.equal(refusal(pin), 0, pin);
  });
  it('applies only the rules the policy asks for', () => {
    assert.doesNotThrow(() =>
      checkNewPin(Buffer.from('123456'), { refuseInitialPin: false, refuseTrivialPin: false }),
    );
    assert.throws(
      () => checkNewPin(Buffer.from('123456'), { refuseInitialPin: false, refuseTrivialPin: true }),
      (e) => e instanceof PinEntryError && e.returnCode === -35,
    );
  });
});
