/**
 * Masking of personal identifiers for screens, receipts and logs that do not need them in full
 * (DESIGN.md §3). Each mask keeps the length, so a clerk can still tell a short value from a long
 * one, and keeps only what is needed to match a person against a document. Lengths are counted in
 * characters (code points), so a Chinese name is masked per character.
 */

const MASK = '*';

function maskKeeping(value: string, head: number, tail: number): string {
  const chars = Array.from(value);
  if (chars.length <= head + tail) return MASK.repeat(chars.length);
  return (
    chars.slice(0, head).join('') +
    MASK.repeat(chars.length - head - tail) +
    chars.slice(chars.length - tail).join('')
  );
}

/**
 * `110101199001011234` → `110101********1234`: region and last four kept, birth date hidden.
 * Old 15-digit numbers are masked the same way; any other length is masked entirely, because a
 * value of unknown shape might reveal more than intended.
 */
export function maskIdNumber(id: string): string {
  const length = Array.from(id).length;
  if (length === 18 || length === 15) return maskKeeping(id, 6, 4);
  return MASK.repeat(length);
}

/** `张三` → `张*`, `欧阳娜娜` → `欧***`: the first character only; a one-character name becomes `*`. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= 1) return MASK.repeat(chars.length);
  return chars[0] + MASK.repeat(chars.length - 1);
}

/**
 * `X00000019` → `X******19`: the first character and the last two (the last serial digit and the
 * check character), enough for a holder to recognise the card. Other lengths are masked entirely.
 */
export function maskCardNumber(cardNumber: string): string {
  const length = Array.from(cardNumber).length;
  if (length === 9) return maskKeeping(cardNumber, 1, 2);
  return MASK.repeat(length);
}

/**
 * `330300D156000005AD932A4812345678` → `330300D156000005************5678`: the issuing region and
 * RID are public, the issuer bytes name the card and are hidden but for the last two bytes.
 */
export function maskCardIdCode(cardIdCode: string): string {
  const length = Array.from(cardIdCode).length;
  if (length === 32) return maskKeeping(cardIdCode, 16, 4);
  return MASK.repeat(length);
}

/** `6217000012345678` → `************5678`: a bank account number as counters show and log it, its last four only. */
export function maskPan(pan: string): string {
  return maskKeeping(pan, 0, 4);
}

/**
 * `1958-03-01` → `1958-**-**`: the year only. Next to a masked ID number the whole date would give
 * back the digits that mask hides; the year still tells a desk the holder's age band. Any other
 * shape is masked entirely.
 */
export function maskBirthDate(date: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(date)) return `${date.slice(0, 4)}-**-**`;
  return MASK.repeat(Array.from(date).length);
}
