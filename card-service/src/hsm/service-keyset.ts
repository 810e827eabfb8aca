import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../errors.js';

/**
 * The service keyset: the keys the HSM process holds, and nothing else. It is made from the
 * issuer's keyset (card-emulator's `issuer.json`, or a real issuer's key ceremony output) by
 * `sscard-service keys`, which keeps the master keys the service's commands need and generates the
 * service's own keys. What the service never needs stays on the issuer side: the EMV CA and issuer
 * RSA private keys, the ICC key seed, the SSSE `update` master key.
 */

const hexKey = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as hex expected`)
    .transform((s) => s.toUpperCase());

const ssseMasters = z
  .object({ internalAuth: hexKey(16), externalAuth: hexKey(16), pinReload: hexKey(16) })
  .strict();

export const serviceKeysetSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string(),
    /** `createdAt` of the issuer keyset it was made from, to tell keysets apart without their keys. */
    issuerKeysetCreatedAt: z.string(),
    ssse: z.object({ '3des': ssseMasters, sm4: ssseMasters }).strict(),
    emv: z.object({ acMasterKeys: z.object({ '3des': hexKey(16), sm4: hexKey(16) }).strict() }).strict(),
    pin: z
      .object({
        /** Terminal PIN keys are derived from it per terminal (`terminalPinKey`). */
        terminalMasterKey: hexKey(32),
        /** The PIN verification key (two-key 3DES) of PIN verification values. */
        verificationKey: hexKey(16),
        /** The zone PIN key (two-key 3DES) shared with the next hop that PIN blocks are translated to. */
        zoneKey: hexKey(16),
      })
      .strict(),
    audit: z.object({ macKey: hexKey(32) }).strict(),
  })
  .strict();

export type ServiceKeyset = z.infer<typeof serviceKeysetSchema>;

/** What `sscard-service keys` reads of an issuer keyset; the rest of it is not even parsed. */
const issuerKeysetSchema = z.object({
  version: z.literal(1),
  createdAt: z.string(),
  ssse: z.object({
    '3des': z.object({ internalAuth: hexKey(16), externalAuth: hexKey(16), pinReload: hexKey(16) }),
    sm4: z.object({ internalAuth: hexKey(16), externalAuth: hexKey(16), pinReload: hexKey(16) }),
  }),
  emv: z.object({ acMasterKeys: z.object({ '3des': hexKey(16), sm4: hexKey(16) }) }),
});

function firstIssue(error: z.ZodError, what: string): DomainError {
  const issue = error.issues[0]!;
  // The message names the field, never a value: values are keys.
  return new DomainError(
    'HSM_KEYSET_INVALID',
    `${what}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    500,
  );
}

export function parseServiceKeyset(json: unknown): ServiceKeyset {
  const parsed = serviceKeysetSchema.safeParse(json);
  if (!parsed.success) throw firstIssue(parsed.error, 'service keyset');
  return parsed.data;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/** The service keyset of an issuer keyset: its needed master keys and fresh service keys. */
export function serviceKeysetFromIssuer(issuerJson: unknown, now = new Date()): ServiceKeyset {
  const parsed = issuerKeysetSchema.safeParse(issuerJson);
  if (!parsed.success) throw firstIssue(parsed.error, 'issuer keyset');
  const issuer = parsed.data;
  const masters = (alg: '3des' | 'sm4') => ({
    internalAuth: issuer.ssse[alg].internalAuth,
    externalAuth: issuer.ssse[alg].externalAuth,
    pinReload: issuer.ssse[alg].pinReload,
  });
  return {
    version: 1,
    createdAt: now.toISOString(),
    issuerKeysetCreatedAt: issuer.createdAt,
    ssse: { '3des': masters('3des'), sm4: masters('sm4') },
    emv: { acMasterKeys: { ...issuer.emv.acMasterKeys } },
    pin: { terminalMasterKey: hex(32), verificationKey: hex(16), zoneKey: hex(16) },
    audit: { macKey: hex(32) },
  };
}
