import { ValidationError } from './errors.js';

/**
 * Money in integer fen (0.01 yuan), the one money type of sscard. A Fen is a safe integer
 * branded so that a plain number (a count, a ratio) cannot be passed where money is expected.
 * Arithmetic that could leave the safe range is checked, and rounding happens in one place,
 * `applyBasisPoints`, half-up (away from zero) to the fen.
 */

declare const fenBrand: unique symbol;
export type Fen = number & { readonly [fenBrand]: true };

export const ZERO_FEN = 0 as Fen;

/** A Fen from a number of fen, which must be a safe integer. */
export function fen(amount: number): Fen {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    throw new ValidationError(
      'MONEY_INVALID',
      `an amount in fen must be a safe integer, got ${String(amount)}`,
    );
  }
  // Normalise -0 so that formatting and equality never see it.
  return (amount === 0 ? 0 : amount) as Fen;
}

function fromBigInt(value: bigint, what: string): Fen {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ValidationError('MONEY_OVERFLOW', `${what} leaves the safe integer range`);
  }
  return fen(Number(value));
}

/**
 * Fen from a yuan amount written as text: `12`, `12.3`, `12.34`, `-0.05`. The text is parsed as
 * digits, never through a float, so `0.29` is exactly 29 fen. More than two decimals, exponents,
 * separators and a leading `+` are refused.
 */
export function parseYuan(text: string): Fen {
  const match = typeof text === 'string' ? /^(-?)([0-9]+)(?:\.([0-9]{1,2}))?$/.exec(text) : null;
  if (!match) {
    throw new ValidationError(
      'MONEY_FORMAT',
      `not a yuan amount with at most two decimals: "${String(text)}"`,
    );
  }
  const [, sign, whole, decimals = ''] = match;
  const magnitude = BigInt(whole!) * 100n + BigInt(decimals.padEnd(2, '0'));
  return fromBigInt(sign === '-' ? -magnitude : magnitude, 'the amount');
}

/** `1234` → `'12.34'`, `-5` → `'-0.05'`: always two decimals, no grouping. */
export function formatYuan(amount: Fen): string {
  const value = BigInt(fen(amount));
  const magnitude = value < 0n ? -value : value;
  const yuan = magnitude / 100n;
  const cents = (magnitude % 100n).toString().padStart(2, '0');
  return `${value < 0n ? '-' : ''}${yuan}.${cents}`;
}

export function addFen(a: Fen, b: Fen): Fen {
  return fromBigInt(BigInt(fen(a)) + BigInt(fen(b)), 'the sum');
}

export function subFen(a: Fen, b: Fen): Fen {
  return fromBigInt(BigInt(fen(a)) - BigInt(fen(b)), 'the difference');
}

/** The total of the amounts; the running total is checked, not only the result. */
export function sumFen(amounts: Iterable<Fen>): Fen {
  let total = ZERO_FEN;
  for (const amount of amounts) total = addFen(total, amount);
  return total;
}

/** -1, 0 or 1, for sorting. */
export function compareFen(a: Fen, b: Fen): -1 | 0 | 1 {
  const x = fen(a);
  const y = fen(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `amount × bp / 10000`, rounded half-up to the fen: a half fen rounds away from zero, so a
 * refund rounds exactly like the payment it reverses. Basis points are an integer (10000 =
 * 100 %); the product is computed in BigInt, so no intermediate value loses precision.
 */
export function applyBasisPoints(amount: Fen, bp: number): Fen {
  if (!Number.isSafeInteger(bp)) {
    throw new ValidationError(
      'BASIS_POINTS_INVALID',
      `basis points must be a safe integer, got ${String(bp)}`,
    );
  }
  const product = BigInt(fen(amount)) * BigInt(bp);
  const magnitude = product < 0n ? -product : product;
  const rounded = (magnitude + 5000n) / 10000n;
  return fromBigInt(product < 0n ? -rounded : rounded, 'the share');
}
