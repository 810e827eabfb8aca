import { wipe } from '@sscard/card-core';
import { PinEntryError } from './errors.js';

/**
 * The digits of one entry in progress, in a buffer sized once so that no copy of a partial PIN is
 * left behind by growing it. Shared by the on-screen keypad and the PIN pad transports that
 * report single key presses.
 */
export class PinBuffer {
  readonly #digits: Buffer;
  #count = 0;

  constructor(readonly maxLength: number) {
    this.#digits = Buffer.alloc(maxLength);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds one ASCII digit; returns false when the buffer is full (the key is ignored, as a PIN pad beeps). */
  push(digit: number): boolean {
    if (digit < 0x30 || digit > 0x39) throw new RangeError('not an ASCII digit');
    if (this.#count >= this.maxLength) return false;
    this.#digits[this.#count++] = digit;
    return true;
  }

  backspace(): void {
    if (this.#count === 0) return;
    this.#digits[--this.#count] = 0;
  }

  clear(): void {
    wipe(this.#digits);
    this.#count = 0;
  }

  /** Hands the PIN over in a new buffer (which the caller wipes) and wipes this one. */
  take(minLength: number): Buffer {
    if (this.#count < minLength) {
      const count = this.#count;
      this.clear();
      throw new PinEntryError('PIN_BAD_LENGTH', `a PIN has at least ${minLength} digits`, { entered: count });
    }
    const pin = Buffer.from(this.#digits.subarray(0, this.#count));
    this.clear();
    return pin;
  }
}
