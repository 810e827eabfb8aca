import { fromHex, toHex } from '../bytes.js';
import { ProtocolError, ValidationError } from '../errors.js';
import { parseCardIdCode } from './card-id.js';
import { decodeBcd } from './encoding.js';

/**
 * Answer to reset of the social security card: `3B 6D 00 00` (direct convention, TB1 = TC1 = 0,
 * 13 historical bytes, T=0) followed by 13 historical bytes.
 *
 * Layout of the historical bytes, derived from public examples (published cards and the vendor
 * description "T1–T2 chip maker, T3–T5 operating system, T6–T7 card maker, T8–TD card serial"):
 *
 * | bytes | content |
 * |---|---|
 * | 0–1 | chip maker (`0081`) |
 * | 2–4 | card operating system and its version (`544C97`) |
 * | 5–6 | card maker (`8684`) |
 * | 7–8 | first 4 digits of the issuing region, BCD: province and prefecture (`3202`) |
 * | 9–12 | the first 4 issuer bytes of the card identification code (`AD932A48`) |
 *
 * So id `320200D156000005AD932A48…` gives `0081544C9786843202AD932A48`. The `iReadCardBas`
 * example in DESIGN.md §6 (id `639900D156…00BF7C7A…`, historical `00814E43238697159900BF7C7A`)
 * agrees on every byte but byte 7: its historical bytes name province 15 and its identification
 * code province 63, an edited sample. The prefecture byte and the issuer bytes agree, so the
 * layout stands; sscard cards always derive bytes 7–12 from their own identification code.
 */

export const SSSE_ATR_PREFIX_HEX = '3B6D0000';
export const SSSE_HISTORICAL_LENGTH = 13;
/** The 7-byte vendor block (chip maker, operating system, card maker) of the first public example. */
export const SSSE_DEFAULT_VENDOR_HEX = '0081544C978684';
const VENDOR_LENGTH = 7;

/** The 13 historical bytes of a card with this identification code and vendor block. */
export function historicalBytesFor(
  cardIdCode: string | Uint8Array,
  vendor: string | Uint8Array = SSSE_DEFAULT_VENDOR_HEX,
): Buffer {
  const id = parseCardIdCode(cardIdCode);
  const vendorBytes = typeof vendor === 'string' ? fromHex(vendor) : Buffer.from(vendor);
  if (vendorBytes.length !== VENDOR_LENGTH) {
    throw new ValidationError(
      'ATR_VENDOR',
      `the vendor block is ${VENDOR_LENGTH} bytes, got ${vendorBytes.length}`,
    );
  }
  return Buffer.concat([vendorBytes, id.bytes.subarray(0, 2), id.issuerBytes.subarray(0, 4)]);
}

/**
 * The ATR a PC/SC reader builds for an ISO/IEC 14443-4 card in its contactless slot (PC/SC part 3,
 * §3.1.3.2.3: the card has no ATR of its own on the antenna): `3B 8n 80 01`, the n historical
 * bytes (type A: those of the ATS), and TCK, the XOR of T0 to the last historical byte. A
 * dual-interface card shows the same historical bytes on both interfaces, so a terminal can tell
 * one card in two slots from two cards.
 */
export function buildContactlessAtr(historical: Uint8Array): Buffer {
  if (historical.length > 15) {
    throw new ValidationError(
      'ATR_HISTORICAL',
      `an ATR carries at most 15 historical bytes, got ${historical.length}`,
    );
  }
  const atr = Buffer.concat([
    Buffer.from([0x3b, 0x80 | historical.length, 0x80, 0x01]),
    historical,
    Buffer.alloc(1),
  ]);
  let tck = 0;
  for (let i = 1; i < atr.length - 1; i++) tck ^= atr[i]!;
  atr[atr.length - 1] = tck;
  return atr;
}

/** True when two ATRs carry the same non-empty historical bytes: one dual-interface card seen through two slots. */
export function sameCardHistorical(a: Uint8Array, b: Uint8Array): boolean {
  try {
    const ha = parseAtr(a).historical;
    return ha.length > 0 && ha.equals(parseAtr(b).historical);
  } catch (e) {
    if (e instanceof ProtocolError) return false;
    throw e;
  }
}

/** `3B 6D 00 00` and the 13 historical bytes. */
export function buildSsseAtr(historical: Uint8Array): Buffer {
  if (historical.length !== SSSE_HISTORICAL_LENGTH) {
    throw new ValidationError(
      'ATR_HISTORICAL',
      `the card's ATR carries ${SSSE_HISTORICAL_LENGTH} historical bytes, got ${historical.length}`,
    );
  }
  return Buffer.concat([fromHex(SSSE_ATR_PREFIX_HEX), historical]);
}

export interface SsseHistorical {
  /** Bytes 0–6, hex: chip maker, operating system, card maker. */
  vendor: string;
  chipMaker: string;
  operatingSystem: string;
  cardMaker: string;
  /** Province and prefecture digits of the issuing region, e.g. `3202`. */
  regionPrefix: string;
  /** The first 4 issuer bytes of the identification code, hex. */
  issuerPrefix: string;
}

/** The parts of a social security card's 13 historical bytes (layout above). */
export function parseSsseHistorical(historical: Uint8Array): SsseHistorical {
  if (historical.length !== SSSE_HISTORICAL_LENGTH) {
    throw new ProtocolError(
      'ATR_HISTORICAL',
      `a social security card has ${SSSE_HISTORICAL_LENGTH} historical bytes, got ${historical.length}`,
    );
  }
  const h = Buffer.from(historical);
  return {
    vendor: toHex(h.subarray(0, 7)),
    chipMaker: toHex(h.subarray(0, 2)),
    operatingSystem: toHex(h.subarray(2, 5)),
    cardMaker: toHex(h.subarray(5, 7)),
    regionPrefix: decodeBcd(h.subarray(7, 9)),
    issuerPrefix: toHex(h.subarray(9, 13)),
  };
}

/** Province and prefecture digits of the issuing region the historical bytes name (`3202`). */
export function regionFromHistorical(historical: Uint8Array): string {
  return parseSsseHistorical(historical).regionPrefix;
}

/**
 * True when the historical bytes belong to the card with this identification code: same region
 * prefix and same first issuer bytes. A mismatch means the ATR and EF05 come from different
 * chips, which a terminal treats as a suspect card.
 */
export function historicalMatchesCardId(historical: Uint8Array, cardIdCode: string | Uint8Array): boolean {
  const h = parseSsseHistorical(historical);
  const id = parseCardIdCode(cardIdCode);
  return h.regionPrefix === id.region.slice(0, 4) && h.issuerPrefix === toHex(id.issuerBytes.subarray(0, 4));
}

/** One interface-byte group i of ISO/IEC 7816-3: TAi, TBi, TCi, TDi, each present or not. */
export interface AtrInterfaceGroup {
  ta?: number;
  tb?: number;
  tc?: number;
  td?: number;
}

export interface ParsedAtr {
  ts: number;
  convention: 'direct' | 'inverse';
  t0: number;
  /** Group 1 first; a group exists when the previous TD (or T0 for group 1) announced it. */
  groups: AtrInterfaceGroup[];
  /** Protocols the card offers, from the TD bytes in order; `[0]` when there is no TD1. */
  protocols: number[];
  historical: Buffer;
  /** Present when any protocol other than T=0 is offered; its XOR check has then passed. */
  tck: number | undefined;
  bytes: Buffer;
}

const MAX_ATR_LENGTH = 33;

/**
 * Parses any ATR by the rules of ISO/IEC 7816-3: TS, T0, the chain of interface bytes that each
 * TD announces, K historical bytes, and TCK when a protocol other than T=0 is indicated.
 * Truncation, a bad TS, a wrong TCK or bytes after the end are a ProtocolError.
 */
export function parseAtr(atr: Uint8Array): ParsedAtr {
  const bytes = Buffer.from(atr);
  if (bytes.length < 2)
    throw new ProtocolError('ATR_TRUNCATED', `an ATR has at least TS and T0, got ${bytes.length} bytes`);
  if (bytes.length > MAX_ATR_LENGTH) {
    throw new ProtocolError('ATR_LENGTH', `an ATR is at most ${MAX_ATR_LENGTH} bytes, got ${bytes.length}`);
  }
  const ts = bytes[0]!;
  if (ts !== 0x3b && ts !== 0x3f)
    throw new ProtocolError('ATR_TS', `TS must be 3B or 3F, got ${toHex(bytes.subarray(0, 1))}`);
  const t0 = bytes[1]!;
  let pos = 2;
  const next = (what: string): number => {
    const b = bytes[pos];
    if (b === undefined)
      throw new ProtocolError('ATR_TRUNCATED', `the ATR ends before ${what}`, { atr: toHex(bytes) });
    pos++;
    return b;
  };

  const groups: AtrInterfaceGroup[] = [];
  const protocols: number[] = [];
  let presence = t0 >> 4;
  for (let i = 1; ; i++) {
    const group: AtrInterfaceGroup = {};
    if (presence & 0x1) group.ta = next(`TA${i}`);
    if (presence & 0x2) group.tb = next(`TB${i}`);
    if (presence & 0x4) group.tc = next(`TC${i}`);
    if (presence & 0x8) group.td = next(`TD${i}`);
    groups.push(group);
    if (group.td === undefined) break;
    protocols.push(group.td & 0x0f);
    presence = group.td >> 4;
  }

  const k = t0 & 0x0f;
  if (pos + k > bytes.length) {
    throw new ProtocolError(
      'ATR_TRUNCATED',
      `the ATR announces ${k} historical bytes but has ${bytes.length - pos}`,
      {
        atr: toHex(bytes),
      },
    );
  }
  const historical = bytes.subarray(pos, pos + k);
  pos += k;

  let tck: number | undefined;
  if (protocols.some((p) => p !== 0)) {
    tck = next('TCK');
    let check = 0;
    for (let i = 1; i < pos; i++) check ^= bytes[i]!;
    if (check !== 0)
      throw new ProtocolError('ATR_TCK', 'the ATR check byte TCK does not match', { atr: toHex(bytes) });
  }
  if (pos !== bytes.length) {
    throw new ProtocolError('ATR_TRAILING', `${bytes.length - pos} bytes follow the end of the ATR`, {
      atr: toHex(bytes),
    });
  }
  return {
    ts,
    convention: ts === 0x3b ? 'direct' : 'inverse',
    t0,
    groups,
    protocols: protocols.length > 0 ? protocols : [0],
    historical: Buffer.from(historical),
    tck,
    bytes,
  };
}
