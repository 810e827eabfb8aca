/**
 * sscard's rule for a new social security PIN, applied before the card sees it (the card accepts
 * any six digits): not the issuers' initial PIN `123456` (`initial`), nor one digit six times or
 * six consecutive digits up or down (`trivial`: the PINs issuers hand out as initial PINs and the
 * first ones a finder of the card tries). Used by the terminal and by readers that take the new
 * PIN on their own keypad. Works on ASCII digits and never copies the PIN into a string.
 */
export const INITIAL_PIN = '123456';

export type NewPinRefusal = 'initial' | 'trivial';

/** The issuers' initial PIN `123456`, compared without copying the PIN into a string. */
export function isInitialPin(digits: Uint8Array): boolean {
  let diff = digits.length ^ INITIAL_PIN.length;
  for (let i = 0; i < digits.length && i < INITIAL_PIN.length; i++)
    diff |= digits[i]! ^ INITIAL_PIN.charCodeAt(i);
  return diff === 0;
}

/** One digit six times, or six consecutive digits up or down. */
export function isTrivialPin(digits: Uint8Array): boolean {
  let same = true;
  let up = true;
  let down = true;
  for (let i = 1; i < digits.length; i++) {
    const step = digits[i]! - digits[i - 1]!;
    same &&= step === 0;
    up &&= step === 1;
    down &&= step === -1;
  }
  return same || up || down;
}

/** The first part of the rule a new 6-digit PIN breaks, or undefined. */
export function newPinRefusal(digits: Uint8Array): NewPinRefusal | undefined {
  if (digits.length !== INITIAL_PIN.length) return undefined;
  if (isInitialPin(digits)) return 'initial';
  return isTrivialPin(digits) ? 'trivial' : undefined;
}
