import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PinEntryError, PinPadError } from './errors.js';
import type { KeypadKey } from '@sscard/agent-protocol';
import { KeypadPinPad } from './keypad.js';
import { PIN_REQUEST, rejection } from '../testing/pin-entry-fixture.js';

function pressAll(pad: KeypadPinPad, keys: KeypadKey[]): void {
  for (const key of keys) pad.press(key);
}

describe('on-screen keypad', () => {
  it('assembles the PIN from single key presses and reports counts only', async () => {
    const pad = new KeypadPinPad();
    const progress: unknown[] = [];
    pad.on('key', (p) => progress.push(p));
    const pin = pad.readPin(PIN_REQUEST);
    pressAll(pad, ['1', '2', '9', 'back', '3', '4', '5', '6', 'enter']);
    assert.equal((await pin).toString('ascii'), '123456');
    assert.deepEqual(
      progress.map((p) => (p as { entered: number }).entered),
      [1, 2, 3, 2, 3, 4, 5, 6],
    );
    assert.ok(progress.every((p) => Object.keys(p as object).join() === 'entered'));
  });

  it('ignores digits beyond the maximum length', async () => {
    const pad = new KeypadPinPad();
    const pin = pad.readPin(PIN_REQUEST);
    pressAll(pad, ['1', '1', '1', '1', '1', '1', '9', 'enter']);
    assert.equal((await pin).toString('ascii'), '111111');
  });

  it('rejects a short PIN with PIN_BAD_LENGTH (-33)', async () => {
    const pad = new KeypadPinPad();
    const pin = pad.readPin(PIN_REQUEST);
    pressAll(pad, ['1', '2', 'enter']);
    const error = await rejection(pin);
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.code, 'PIN_BAD_LENGTH');
    assert.equal(error.returnCode, -33);
  });

  it('rejects with PIN_CANCELLED (-31) on the cancel key', async () => {
    const pad = new KeypadPinPad();
    const pin = pad.readPin(PIN_REQUEST);
    pressAll(pad, ['1', 'cancel']);
    const error = await rejection(pin);
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -31);
    assert.equal(pad.active, false);
  });

  it('rejects with PIN_TIMEOUT (-32) when nobody types', async () => {
    const pad = new KeypadPinPad();
    const error = await rejection(pad.readPin({ ...PIN_REQUEST, timeoutMs: 1 }));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -32);
  });

  it('refuses a second entry while one is in progress', async () => {
    const pad = new KeypadPinPad();
    const first = pad.readPin(PIN_REQUEST);
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinPadError);
    assert.equal(error.code, 'PINPAD_BUSY');
    pad.cancel();
    await rejection(first);
  });

  it('says a key press arrived with no entry waiting', () => {
    assert.equal(new KeypadPinPad().press('1'), false);
  });
});
