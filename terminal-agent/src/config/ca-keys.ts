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
 * scheme: RID (5 bytes), key index, modulus and exponent in hex.
 *
 *   [{"rid": "A000000333", "index": 8, "modulus": "B6…", "exponent": "03"}]
 */
const caKeyFile = z.array(
  z.strictObject({
    rid: hex(5),
    index: z.number().int().min(0).max(255),
    modulus: hex(),
    exponent: z.enum(['03', '010001']),
  }),
);

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
