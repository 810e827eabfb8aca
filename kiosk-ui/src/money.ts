/**
 * Money on the counter screens: integer fen from the agent, shown as yuan with two decimals; a
 * clerk's typed yuan read back into fen exactly (no floating point anywhere on the way).
 */

/** 12345 → "123.45"; -5 → "-0.05". */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const whole = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}${whole}.${String(abs % 100).padStart(2, '0')}`;
}

/** "123.45", "123.4", "123" → fen; anything else (a sign, three decimals, letters) → undefined. */
export function parseYuan(typed: string): number | undefined {
  const m = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(typed);
  if (!m) return undefined;
  const [, whole, part = ''] = m as unknown as [string, string, string | undefined];
  return Number(whole) * 100 + Number(part.padEnd(2, '0'));
}
