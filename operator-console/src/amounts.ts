/**
 * Amounts as the operator types them: yuan with at most two decimals to integer fen, and percent
 * with at most two decimals to basis points, both read as digits, never through a float.
 */
function hundredths(text: string, what: string): number {
  const m = /^\s*([0-9]+)(?:\.([0-9]{1,2}))?\s*$/.exec(text);
  if (!m) throw new Error(`${what}：请输入不超过两位小数的数字`);
  const value = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(value)) throw new Error(`${what}：数额过大`);
  return value;
}

export const fenOf = (yuanText: string, what: string): number => hundredths(yuanText, what);
export const basisPointsOf = (percentText: string, what: string): number => hundredths(percentText, what);

/** Fen as yuan text for an input (no separators). */
export const yuanText = (fen: number): string =>
  `${fen < 0 ? '-' : ''}${Math.floor(Math.abs(fen) / 100)}.${String(Math.abs(fen) % 100).padStart(2, '0')}`;
/** Basis points as percent text for an input. */
export const percentText = (bp: number): string => (bp % 100 === 0 ? String(bp / 100) : yuanText(bp));
