import { timingSafeEqual } from 'node:crypto';
import { SW, triesLeftSw, wipe } from '@sscard/card-core';

export const PIN_MAX_TRIES = 3;
/** A 6-digit PIN as the card receives it: 3 bytes of BCD. */
export const PIN_BCD_LENGTH = 3;

/** True when every nibble is a decimal digit. */
export function isBcdPin(bytes: Uint8Array): boolean {
  return bytes.length === PIN_BCD_LENGTH && bytes.every((b) => b >> 4 <= 9 && (b & 0x0f) <= 9);
}

export function pinToBcd(digits: string): Buffer {
  if (!/^[0-9]{6}$/.test(digits)) throw new RangeError('a PIN has 6 digits');
  return Buffer.from(digits, 'hex');
}

export interface PinMemory {
  /** The PIN as the card compares it: 3 bytes of BCD, upper-case hex. */
  bcd: string;
  triesLeft: number;
}

/**
 * The social security PIN and its retry counter. A wrong PIN costs a try (63Cx), the counter at
 * zero blocks verification (6983) until a reload resets it; a right PIN restores the counter.
 * The PIN never leaves this object.
 */
export class PinCounter {
  #pin: Buffer;
  #triesLeft: number;

  constructor(digits: string, triesLeft = PIN_MAX_TRIES) {
    this.#pin = pinToBcd(digits);
    this.#triesLeft = Math.max(0, Math.min(PIN_MAX_TRIES, triesLeft));
  }

  get triesLeft(): number {
    return this.#triesLeft;
  }

  get blocked(): boolean {
    return this.#triesLeft === 0;
  }

  /** Checks a candidate PIN (3 BCD bytes, already checked for form); answers the status word. */
  verify(candidate: Uint8Array): number {
    if (this.blocked) return SW.AUTH_METHOD_BLOCKED;
    if (timingSafeEqual(this.#pin, candidate)) {
      this.#triesLeft = PIN_MAX_TRIES;
      return SW.SUCCESS;
    }
    this.#triesLeft--;
    return triesLeftSw(this.#triesLeft);
  }

  /** What the card's EEPROM holds of the PIN: its BCD and the retry counter. */
  memory(): PinMemory {
    return { bcd: this.#pin.toString('hex').toUpperCase(), triesLeft: this.#triesLeft };
  }

  /** Loads the PIN and counter a card wrote before it lost power. */
  restore(memory: PinMemory): void {
    const bcd = Buffer.from(memory.bcd, 'hex');
    if (!isBcdPin(bcd)) throw new RangeError('a stored PIN is 3 bytes of BCD');
    if (!Number.isInteger(memory.triesLeft) || memory.triesLeft < 0 || memory.triesLeft > PIN_MAX_TRIES) {
      throw new RangeError(`a PIN retry counter is 0 to ${PIN_MAX_TRIES}`);
    }
    wipe(this.#pin);
    this.#pin = bcd;
    this.#triesLeft = memory.triesLeft;
  }

  /** Restores the counter and keeps the PIN: after an authorised PIN UNBLOCK. */
  unblock(): void {
    this.#triesLeft = PIN_MAX_TRIES;
  }

  /** Sets a new PIN and restores the counter: after a successful change or an authorised reload. */
  set(newPin: Uint8Array): void {
    wipe(this.#pin);
    this.#pin = Buffer.from(newPin);
    this.#triesLeft = PIN_MAX_TRIES;
  }
}
