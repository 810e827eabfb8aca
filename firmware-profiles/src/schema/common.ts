import { z } from 'zod';
import { CRC16_NAMES } from '../checksum.js';

/** Hex text, spaces allowed between bytes; `bytes` fixes the decoded length. */
export function hexBytes(bytes?: number) {
  return z
    .string()
    .transform((s) => s.replace(/\s+/g, '').toUpperCase())
    .pipe(
      z
        .string()
        .regex(/^([0-9A-F]{2})*$/, 'hex bytes, e.g. "3B 6D 00 00"')
        .refine((s) => bytes === undefined || s.length === bytes * 2, `exactly ${bytes} bytes`),
    );
}

/** One byte written as a number (16) or as hex text ("0x10"); profiles mostly use hex. */
export const byteCode = z
  .union([z.number(), z.string().regex(/^0x[0-9a-fA-F]{1,2}$/, 'a byte as "0x10"')])
  .transform((v) => (typeof v === 'number' ? v : Number.parseInt(v.slice(2), 16)))
  .pipe(z.number().int().min(0).max(255));

export const profileId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

/** Why the profile exists and where its facts come from; every profile must say. */
export const description = z.string().min(10, 'say what this profile is and where its facts come from');

export const serialLine = z.strictObject({
  baud: z.number().int().positive(),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)], { error: 'one of 5, 6, 7, 8' }),
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']),
  stopBits: z.union([z.literal(1), z.literal(1.5), z.literal(2)], { error: 'one of 1, 1.5, 2' }),
});
export type SerialLine = z.infer<typeof serialLine>;

export const stxBccFraming = z.strictObject({
  kind: z.literal('stx-bcc'),
  description,
  stx: byteCode.default(0x02),
  etx: byteCode.default(0x03),
  /** Largest command/status byte + data the receiver accepts; a longer length field is a framing error. */
  maxPayload: z.number().int().min(2).max(0xffff),
});

export const lenCrc16Framing = z.strictObject({
  kind: z.literal('len-crc16'),
  description,
  crc: z.enum(CRC16_NAMES),
  crcByteOrder: z.enum(['big', 'little']).default('big'),
  maxPayload: z.number().int().min(2).max(0xffff),
});

export const framing = z.discriminatedUnion('kind', [stxBccFraming, lenCrc16Framing]);
export type Framing = z.infer<typeof framing>;

/** A command or status code with the reason it exists; the code is what goes on the wire. */
export const namedCode = z.strictObject({ code: byteCode, description });
export type NamedCode = z.infer<typeof namedCode>;
