const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'] as const;

/** Fisher–Yates with the browser's CSPRNG: a shuffled keypad must not be guessable. */
export function shuffledDigits(): string[] {
  const out: string[] = [...DIGITS];
  const random = new Uint32Array(out.length);
  crypto.getRandomValues(random);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random[i]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The on-screen keypad's digits, in the order the keypad shows them. */
export function keypadDigits(shuffle: boolean): string[] {
  return shuffle ? shuffledDigits() : [...DIGITS];
}
