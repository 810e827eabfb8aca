import { fromHex } from '@sscard/card-core';

/**
 * An ATR pattern: the bytes a card must show where the mask has 1 bits. Profiles write both as
 * hex of the same length, e.g. value `3B6D0000 0081544C97` and mask `FFFFFFFF FFFFFFFFFF`; an ATR
 * matches when it has the same length and agrees on every masked bit.
 */
export interface AtrPattern {
  value: string;
  mask: string;
}

export function atrMatches(pattern: AtrPattern, atr: Uint8Array): boolean {
  const value = fromHex(pattern.value);
  const mask = fromHex(pattern.mask);
  if (atr.length !== value.length) return false;
  for (let i = 0; i < value.length; i++) {
    if ((atr[i]! & mask[i]!) !== (value[i]! & mask[i]!)) return false;
  }
  return true;
}

/** How many bits the pattern pins down; among several matching profiles the most specific wins. */
export function atrSpecificity(pattern: AtrPattern): number {
  let bits = 0;
  for (const b of fromHex(pattern.mask)) {
    for (let v = b; v; v &= v - 1) bits++;
  }
  return bits;
}
