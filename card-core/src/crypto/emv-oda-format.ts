import { ValidationError } from '../errors.js';

/**
 * The recovered-data format that EMV certificates and signed data share (EMV Book 2): a header
 * byte, the body, a SHA-1 hash and a trailer byte, key fields padded with BB. The checking side
 * (emv-oda.ts) and the issuing side (emv-oda-issuing.ts) both speak it.
 */
export const HEADER = 0x6a;
export const TRAILER = 0xbc;
export const PAD = 0xbb;
export const HASH_SHA1 = 0x01;
export const PK_RSA = 0x01;
export const HASH_LENGTH = 20;

export function checkPanDigits(pan: string): string {
  if (!/^\d{12,19}$/.test(pan)) throw new ValidationError('PAN_FORMAT', 'a PAN has 12 to 19 digits');
  return pan;
}
