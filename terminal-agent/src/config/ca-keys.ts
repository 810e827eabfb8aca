import { readFileSync } from 'node:fs';
import type { CaPublicKey } from '@sscard/card-core';
import { z } from 'zod';
import { ConfigFileError } from './errors.js';

const hex = (bytes?: number) =>
  z
    .string()
    .regex(/^([0-9A-Fa-f]{2})+$/, 'expected hex bytes')
    .refine((s) => bytes === undefined || s.length === bytes * 2, `expected ${bytes} bytes`);

/**
 * The payment system CA public keys for EMV offline data authentication, as published by the
 * scheme: RID (5 bytes), key index (tag 8F: a number, or one byte as two hex digits), modulus and
 * exponent in hex. The file is either the list itself or a public key document with the list under
 * `caPublicKeys` (what `sscard-emulator keys` writes next to the test keyset):
 *
 *   [{"rid": "A000000333", "index": "80", "modulus": "B6…", "exponent": "03"}]
 *   {"version": 1, "caPublicKeys": [ … ]}
 */
const caKeyEntry = z.strictObject({
  rid: hex(5),
  index: z.union([z.number().int().min(0).max(255), hex(1).transform((h) => Number.parseInt(h, 16))]),
  modulus: hex(),
  exponent: z.enum(['03', '010001']),
});
const caKeyFile = z.union([
  z.array(caKeyEntry),
  z.object({ caPublicKeys: z.array(caKeyEntry) }).transform((doc) => doc.caPublicKeys),
]);

export function loadCaKeys(path: string): CaPublicKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigFileError(path, `cannot be read as JSON: ${(e as Error).message}`, { cause: e });
  }
  const result = caKeyFile.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigFileError(path, `entry ${issue.path.join('.')}: ${issue.message}`);
  }
  return result.data.map((k) => ({
    rid: Buffer.from(k.rid, 'hex'),
    index: k.index,
    modulus: Buffer.from(k.modulus, 'hex'),
    exponent: Buffer.from(k.exponent, 'hex'),
  }));
}
