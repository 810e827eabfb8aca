import fc from 'fast-check';
import type { SimpleTlv, TlvInput } from '../tlv.js';

/**
 * fast-check generators of BER-TLV and simple-TLV objects for the property and fuzz tests. Not
 * exported from the package: fast-check is a development dependency.
 */

/** First tag bytes of single-byte tags: not 00, not FF, low five bits not 11111. */
function singleByteTag(constructed: boolean): fc.Arbitrary<number> {
  return fc
    .integer({ min: 0, max: 0xff })
    .filter((b) => b !== 0x00 && (b & 0x1f) !== 0x1f && ((b & 0x20) !== 0) === constructed);
}

/**
 * Tags of 2 to 4 bytes: a first byte with low bits 11111, then 7-bit groups with b8 set on all but
 * the last, the first group not zero.
 */
function multiByteTag(constructed: boolean): fc.Arbitrary<number> {
  const classBits = fc.constantFrom(0x00, 0x40, 0x80, 0xc0);
  const first = classBits.map((c) => c | (constructed ? 0x20 : 0) | 0x1f).filter((b) => b !== 0xff);
  return fc
    .tuple(first, fc.array(fc.integer({ min: 0, max: 0x7f }), { minLength: 1, maxLength: 3 }))
    .filter(([, groups]) => groups[0] !== 0)
    .map(([b0, groups]) => {
      let tag = b0;
      groups.forEach((g, i) => {
        tag = tag * 256 + (i === groups.length - 1 ? g : g | 0x80);
      });
      return tag;
    });
}

export function berTag(constructed: boolean): fc.Arbitrary<number> {
  return fc.oneof(singleByteTag(constructed), multiByteTag(constructed));
}

/** Values weighted towards the length-field boundaries 127/128 and 255/256. */
const value = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 300 }) },
);

/** Trees of BER-TLV nodes, primitive leaves with values and constructed nodes with children. */
export const berTlvTree: fc.Arbitrary<TlvInput[]> = fc.letrec<{ node: TlvInput; list: TlvInput[] }>(
  (tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ tag: berTag(false), value }),
      fc.record({ tag: berTag(true), children: tie('list') }),
    ),
    list: fc.array(tie('node'), { maxLength: 4 }),
  }),
).list;

export const simpleTlvList: fc.Arbitrary<SimpleTlv[]> = fc.array(
  fc.record({
    tag: fc.integer({ min: 0x01, max: 0xfe }),
    value: fc.uint8Array({ maxLength: 255 }).map((v) => Buffer.from(v)),
  }),
  { maxLength: 8 },
);
