import assert from 'node:assert/strict';
import type { PinRequest } from '../pinpad/pin-pad.js';

/** The PIN request the PIN pad tests make: six digits, a minute to type them. */
export const PIN_REQUEST: Readonly<PinRequest> = {
  prompt: '请输入密码',
  minLength: 6,
  maxLength: 6,
  timeoutMs: 60_000,
};

/** The error a PIN entry that must fail was rejected with; fails the test if it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the entry to fail');
}
