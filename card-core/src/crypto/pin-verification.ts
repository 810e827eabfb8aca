import { ValidationError } from '../errors.js';
import { encrypt } from './cipher.js';

/**
 * The PIN verification value (PVV, the "Visa method" that payment HSMs implement beside the IBM 3624
 * offset): what an issuer stores instead of the PIN, four digits that only the PIN verification key
 * (PVK, two-key 3DES) links to the PIN.
 *
 *   TSP = the 11 rightmost PAN digits without the check digit ‖ PVKI (1 digit) ‖ the 4 leftmost PIN
 *   digits; R = 3DES(PVK, TSP); PVV = the first 4 decimal digits of R read left to right, then, if
 *   fewer than 4, the hex digits A–F of R minus 10, left to right.
 */
export function pinVerificationValue(pvk: Uint8Array, pan: string, pvki: number, pin: string): string {
  if (!/^\d{12,19}$/.test(pan)) throw new ValidationError('PAN_FORMAT', 'a PAN has 12 to 19 digits');
  if (!Number.isInteger(pvki) || pvki < 0 || pvki > 9) {
    throw new ValidationError('PVKI_RANGE', 'the PIN verification key index is one digit');
  }
  if (!/^\d{4,12}$/.test(pin)) throw new ValidationError('PIN_FORMAT', 'a PIN has 4 to 12 digits');
  const tsp = Buffer.from(`${pan.slice(-12, -1)}${pvki}${pin.slice(0, 4)}`, 'hex');
  const r = encrypt('3des', pvk, tsp, { mode: 'ecb' }).toString('hex').toUpperCase();
  const decimals = [...r].filter((c) => c <= '9');
  const fromLetters = [...r].filter((c) => c > '9').map((c) => String(Number.parseInt(c, 16) - 10));
  return [...decimals, ...fromLetters].slice(0, 4).join('');
}
