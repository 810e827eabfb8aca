import { ValidationError } from './errors.js';

/** Hex text of the bytes, upper case, no separators (the way APDU logs and the card spec print them). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** Parses hex text; spaces are allowed between bytes (`00 A4 04 00`). Odd length or a non-hex digit is an error. */
export function fromHex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new ValidationError(
      'HEX_INVALID',
      `not a hex string: "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`,
    );
  }
  return Buffer.from(clean, 'hex');
}

export function concat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length)
    throw new ValidationError('XOR_LENGTH', `xor of ${a.length} and ${b.length} bytes`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Bitwise complement (¬D), used by key diversification. */
export function complement(a: Uint8Array): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = ~a[i]! & 0xff;
  return out;
}

/** Overwrites a buffer that held a secret (PIN block, key) so it does not linger in memory. */
export function wipe(secret: Uint8Array | undefined | null): void {
  secret?.fill(0);
}
