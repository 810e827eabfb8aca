/**
 * Card (face) numbers: 8 digits or capitals and a check character by ISO/IEC 7064 MOD 37,36 —
 * the sscard convention the virtual cards check too (card-emulator/README.md). Mirrored here
 * because card-service depends on card-core only.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const M = 36;

export function cardNumberCheckChar(first8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(first8)) throw new RangeError('8 digits or capital letters are expected');
  let p = M;
  for (const ch of first8) {
    let s = (p + ALPHABET.indexOf(ch)) % M;
    if (s === 0) s = M;
    p = (s * 2) % (M + 1);
  }
  return ALPHABET[(M + 1 - p) % M]!;
}

export function isValidCardNumber(cardNumber: string): boolean {
  return /^[0-9A-Z]{9}$/.test(cardNumber) && cardNumberCheckChar(cardNumber.slice(0, 8)) === cardNumber[8];
}
