import { randomBytes } from 'node:crypto';
import { ValidationError } from '@sscard/card-core';
import type { PinBlockFormat } from './schema/pin-pad.js';

function checkPin(pin: string, min = 4, max = 12): void {
  if (!/^\d+$/.test(pin) || pin.length < min || pin.length > max) {
    // The PIN itself is never put in the message.
    throw new ValidationError('PIN_FORMAT', `a PIN is ${min}–${max} digits`, { length: pin.length });
  }
}

/** Nibbles to bytes; `nibbles` has even length. */
function packNibbles(nibbles: number[]): Buffer {
  const out = Buffer.alloc(nibbles.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibbles[2 * i]! << 4) | nibbles[2 * i + 1]!;
  return out;
}

/**
 * The PIN as the card's VERIFY takes it: BCD digits, padded with F to whole bytes
 * (`123456` → `12 34 56`, the 3 bytes of `00 20 00 00 03`).
 */
export function bcdPinBlock(pin: string): Buffer {
  checkPin(pin);
  const nibbles = [...pin].map(Number);
  if (nibbles.length % 2) nibbles.push(0xf);
  return packNibbles(nibbles);
}

/** ISO 9564 PIN field: control nibble, length nibble, digits, fill to 16 nibbles. */
function pinField(control: number, pin: string, fill: () => number): number[] {
  const nibbles = [control, pin.length, ...[...pin].map(Number)];
  while (nibbles.length < 16) nibbles.push(fill());
  return nibbles;
}

/**
 * ISO 9564-1 format 0: PIN field (0, length, digits, F fill) XOR the account field (0000 and the
 * 12 rightmost PAN digits excluding the check digit).
 */
export function iso9564Format0(pin: string, pan: string): Buffer {
  checkPin(pin);
  if (!/^\d{13,19}$/.test(pan)) throw new ValidationError('PAN_FORMAT', 'a PAN is 13–19 digits');
  const pinBlock = packNibbles(pinField(0, pin, () => 0xf));
  const account = packNibbles([0, 0, 0, 0, ...[...pan.slice(-13, -1)].map(Number)]);
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) out[i] = pinBlock[i]! ^ account[i]!;
  return out;
}

/** ISO 9564-1 format 1: control 1, length, digits, random fill (no PAN needed). */
export function iso9564Format1(pin: string, random: () => number = () => randomBytes(1)[0]! & 0x0f): Buffer {
  checkPin(pin);
  return packNibbles(pinField(1, pin, random));
}

export function encodePinBlock(format: PinBlockFormat, pin: string, pan?: string): Buffer {
  if (format === 'bcd') return bcdPinBlock(pin);
  if (format === 'iso9564-1') return iso9564Format1(pin);
  if (pan === undefined) throw new ValidationError('PAN_REQUIRED', 'ISO 9564 format 0 needs the PAN');
  return iso9564Format0(pin, pan);
}
