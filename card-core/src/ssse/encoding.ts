import iconv from 'iconv-lite';
import { ProtocolError, ValidationError } from '../errors.js';

/**
 * Byte encodings of the social security application's records: GBK text, BCD digits and BCD
 * dates. Encoders take values from our own code and throw ValidationError; decoders take bytes
 * from a card and throw ProtocolError when the bytes cannot be what the field says they are.
 */

const GBK = 'gbk';

/**
 * GBK bytes of `text`, padded with 0x00 up to `length` when given (the card's fixed-length name
 * record). Text GBK cannot represent is refused rather than silently written as `?`, which is what
 * iconv-lite would otherwise do: a card personalised with a wrong name is worse than no card.
 */
export function encodeGbk(text: string, length?: number): Buffer {
  if (text.includes('\u0000')) {
    throw new ValidationError('GBK_INVALID', 'text contains NUL, which GBK records use as padding');
  }
  const bytes = iconv.encode(text, GBK);
  if (iconv.decode(bytes, GBK) !== text) {
    throw new ValidationError('GBK_UNENCODABLE', 'text has characters that GBK cannot encode', {
      characters: [...text].filter((c) => iconv.decode(iconv.encode(c, GBK), GBK) !== c),
    });
  }
  if (length === undefined) return bytes;
  if (!Number.isInteger(length) || length < 0) {
    throw new ValidationError('GBK_LENGTH', `invalid field length ${length}`);
  }
  if (bytes.length > length) {
    throw new ValidationError(
      'GBK_TOO_LONG',
      `text needs ${bytes.length} GBK bytes, the field holds ${length}`,
      {
        needed: bytes.length,
        length,
      },
    );
  }
  const out = Buffer.alloc(length);
  bytes.copy(out);
  return out;
}

/**
 * Text of a GBK record with its trailing 0x00 or 0x20 padding removed (cards use both). Neither
 * byte can be the second byte of a GBK character, so stripping them never cuts a character.
 */
export function decodeGbk(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--;
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, end);
  if (body.includes(0x00)) {
    throw new ProtocolError('GBK_INVALID', 'GBK text has a NUL byte before its padding');
  }
  const text = iconv.decode(body, GBK);
  if (text.includes('\uFFFD')) {
    throw new ProtocolError('GBK_INVALID', 'bytes are not valid GBK text');
  }
  return text;
}

export interface BcdOptions {
  /**
   * Accept trailing `F` nibbles as padding (the spec's `cn` format: digits left-aligned, padded
   * with F). Off by default: a fixed-length numeric field with an F in it is malformed.
   */
  allowPadding?: boolean;
}

/**
 * Packed BCD of a digit string, two digits per byte. With `length`, shorter input is
 * left-aligned and padded with `F` nibbles to that many bytes; without it, an odd number of
 * digits gets one trailing `F`.
 */
export function encodeBcd(digits: string, length?: number): Buffer {
  if (!/^[0-9]*$/.test(digits)) {
    throw new ValidationError('BCD_INVALID', 'BCD text must contain decimal digits only');
  }
  const bytes = length ?? Math.ceil(digits.length / 2);
  if (!Number.isInteger(bytes) || bytes < 0) {
    throw new ValidationError('BCD_LENGTH', `invalid BCD length ${length}`);
  }
  if (digits.length > bytes * 2) {
    throw new ValidationError('BCD_TOO_LONG', `${digits.length} digits do not fit in ${bytes} BCD bytes`);
  }
  const nibbles = digits.padEnd(bytes * 2, 'F');
  return Buffer.from(nibbles, 'hex');
}

/** Digits of packed BCD bytes; a nibble A–E, or an F that is not trailing padding, is malformed. */
export function decodeBcd(bytes: Uint8Array, options: BcdOptions = {}): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
  const digits = options.allowPadding ? hex.replace(/F+$/, '') : hex;
  if (!/^[0-9]*$/.test(digits)) {
    throw new ProtocolError('BCD_INVALID', `not BCD: ${hex}`);
  }
  return digits;
}

/** True when `yyyymmdd` is eight digits naming a real Gregorian calendar day. */
export function isCompactDate(yyyymmdd: string): boolean {
  if (!/^[0-9]{8}$/.test(yyyymmdd)) return false;
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** 4-byte BCD of a `YYYYMMDD` date, which must be a real calendar day. */
export function encodeBcdDate(yyyymmdd: string): Buffer {
  if (!isCompactDate(yyyymmdd)) {
    throw new ValidationError('DATE_INVALID', `not a calendar date in YYYYMMDD form: "${yyyymmdd}"`);
  }
  return encodeBcd(yyyymmdd, 4);
}

/**
 * `YYYYMMDD` from 4 BCD bytes. Non-BCD bytes are a ProtocolError; well-formed digits that name no
 * real day (20230230) are a ValidationError, so callers can tell a broken read from bad card data.
 */
export function decodeBcdDate(bytes: Uint8Array): string {
  if (bytes.length !== 4) {
    throw new ProtocolError('DATE_LENGTH', `a BCD date is 4 bytes, got ${bytes.length}`);
  }
  const digits = decodeBcd(bytes);
  if (!isCompactDate(digits)) {
    throw new ValidationError('DATE_INVALID', `not a calendar date: ${digits}`);
  }
  return digits;
}
