import { wipe } from '@sscard/card-core';
import type { PinBlockFormat } from '@sscard/firmware-profiles';
import { PinPadError } from './errors.js';

function nibble(block: Uint8Array, i: number): number {
  const byte = block[i >> 1]!;
  return i % 2 === 0 ? byte >> 4 : byte & 0x0f;
}

/**
 * The ASCII digits inside a clear PIN block from a PIN pad, in a new buffer the caller wipes.
 * `bcd` is digits then F fill; ISO 9564 format 1 is control 1, length, digits, random fill.
 * Format 0 is XORed with the card number and is for online bank PINs, not for the card's VERIFY,
 * so a pad configured with it is refused when the PIN pad is set up, not here.
 */
export function pinDigitsFromBlock(format: PinBlockFormat, block: Uint8Array): Buffer {
  const nibbles = block.length * 2;
  let start: number;
  let length: number;
  if (format === 'bcd') {
    start = 0;
    length = 0;
    while (length < nibbles && nibble(block, length) !== 0x0f) length++;
  } else if (format === 'iso9564-1') {
    if (block.length !== 8 || nibble(block, 0) !== 1) {
      throw new PinPadError('PINPAD_PROTOCOL', 'the PIN block is not ISO 9564 format 1');
    }
    start = 2;
    length = nibble(block, 1);
    if (length > 12) throw new PinPadError('PINPAD_PROTOCOL', 'the PIN block declares more than 12 digits');
  } else {
    throw new PinPadError(
      'PINPAD_PROTOCOL',
      `PIN block format ${format} cannot be used for the card's VERIFY`,
    );
  }
  const digits = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const d = nibble(block, start + i);
    if (d > 9) {
      wipe(digits);
      throw new PinPadError('PINPAD_PROTOCOL', 'the PIN block holds a non-digit');
    }
    digits[i] = 0x30 + d;
  }
  return digits;
}
