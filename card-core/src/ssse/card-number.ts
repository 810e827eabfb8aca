import { ValidationError } from '../errors.js';

/**
 * The card (face) number's check character. The rule real issuers use is not public, so sscard
 * fixes one (sscard convention, docs/card-conventions.md): ISO/IEC 7064 MOD 37,36, the hybrid
 * system over the 36 characters 0–9 A–Z. It catches every single-character error and every
 * transposition of adjacent characters, and its check character is itself one of 0–9 A–Z, so
 * the number keeps the 9-character [0-9A-Z] form of EF05 record 7.
 */

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const M = 36;

function charValue(ch: string): number {
  const v = ALPHABET.indexOf(ch);
  if (v < 0)
    throw new ValidationError('CARD_NUMBER_FORMAT', 'card numbers use only digits and capital letters');
  return v;
}

/** The remainder state of MOD 37,36 after `text`, starting from M. */
function runHybrid(text: string): number {
  let p = M;
  for (const ch of text) {
    let s = (p + charValue(ch)) % M;
    if (s === 0) s = M;
    p = (s * 2) % (M + 1);
  }
  return p;
}

/** The check character for the 8 leading characters of a card number. */
export function cardNumberCheckChar(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8))
    throw new ValidationError('CARD_NUMBER_FORMAT', '8 digits or capital letters are expected');
  return ALPHABET[(M + 1 - runHybrid(first8)) % M]!;
}

/** True when `cardNumber` is 9 characters whose last is the check character of the first 8. */
export function isValidCardNumber(cardNumber: string): boolean {
  return /^[0-9A-Z]{9}$/.test(cardNumber) && cardNumberCheckChar(cardNumber.slice(0, 8)) === cardNumber[8];
}
