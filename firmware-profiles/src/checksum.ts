/**
 * Checksums used by the serial reader framings. CRC-16 variants follow the Rocksoft model
 * (width 16, poly, init, refin/refout, xorout) as catalogued by name in the CRC RevEng catalogue,
 * so a profile names its variant and nothing else; each entry carries its published check value
 * (the CRC of ASCII "123456789").
 */

export function bcc(bytes: Uint8Array): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}

export interface Crc16Variant {
  readonly poly: number;
  readonly init: number;
  readonly reflected: boolean;
  readonly xorOut: number;
  /** CRC of ASCII "123456789", as published for the variant. */
  readonly check: number;
}

export const CRC16_VARIANTS = {
  'CRC-16/CCITT-FALSE': { poly: 0x1021, init: 0xffff, reflected: false, xorOut: 0x0000, check: 0x29b1 },
  'CRC-16/XMODEM': { poly: 0x1021, init: 0x0000, reflected: false, xorOut: 0x0000, check: 0x31c3 },
  'CRC-16/KERMIT': { poly: 0x1021, init: 0x0000, reflected: true, xorOut: 0x0000, check: 0x2189 },
  'CRC-16/MODBUS': { poly: 0x8005, init: 0xffff, reflected: true, xorOut: 0x0000, check: 0x4b37 },
} as const satisfies Record<string, Crc16Variant>;

export type Crc16Name = keyof typeof CRC16_VARIANTS;
export const CRC16_NAMES = Object.keys(CRC16_VARIANTS) as [Crc16Name, ...Crc16Name[]];

function reflect16(value: number): number {
  let out = 0;
  for (let i = 0; i < 16; i++) if (value & (1 << i)) out |= 1 << (15 - i);
  return out;
}

const tables = new Map<Crc16Name, Uint16Array>();

function tableFor(name: Crc16Name): Uint16Array {
  const cached = tables.get(name);
  if (cached) return cached;
  const { poly, reflected } = CRC16_VARIANTS[name];
  const table = new Uint16Array(256);
  if (reflected) {
    const rpoly = reflect16(poly);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ rpoly : c >>> 1;
      table[n] = c;
    }
  } else {
    for (let n = 0; n < 256; n++) {
      let c = n << 8;
      for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ poly) & 0xffff : (c << 1) & 0xffff;
      table[n] = c;
    }
  }
  tables.set(name, table);
  return table;
}

export function crc16(name: Crc16Name, bytes: Uint8Array): number {
  const { init, reflected, xorOut } = CRC16_VARIANTS[name];
  const table = tableFor(name);
  let crc = reflected ? reflect16(init) : init;
  if (reflected) {
    for (const b of bytes) crc = (crc >>> 8) ^ table[(crc ^ b) & 0xff]!;
  } else {
    for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ table[((crc >>> 8) ^ b) & 0xff]!;
  }
  return (crc ^ xorOut) & 0xffff;
}
