import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type CardAlgorithm,
  externalAuthCryptogram,
  internalAuthCryptogram,
  parseCardIdCode,
  ssseCardKey,
  wipe,
} from '@sscard/card-core';
import { z } from 'zod';
import { DomainError } from '../errors.js';

/**
 * The HSM module: the one place that holds the issuer master keys. It answers yes or no about a
 * card's INTERNAL AUTHENTICATE cryptogram, and computes the EXTERNAL AUTHENTICATE cryptogram over
 * a card's challenge for terminals without a PSAM; no key, card key or master key ever leaves it,
 * and nothing it holds is logged. The keys come from the keyset file card-emulator's
 * `sscard-emulator keys` writes (`data/keys/issuer.json`); only the internal- and
 * external-authentication master keys are loaded.
 */
export interface Hsm {
  /** Algorithms whose master key is loaded. */
  readonly algorithms: readonly CardAlgorithm[];
  /**
   * True when `cryptogram` is E(K_card, challenge) with K_card diversified from the
   * internal-authentication master key and the card identification code.
   */
  verifyInternalAuth(
    alg: CardAlgorithm,
    cardIdCode: string,
    challenge: Uint8Array,
    cryptogram: Uint8Array,
  ): boolean;
  /**
   * The EXTERNAL AUTHENTICATE cryptogram (RKSSSE) over the card's 8-byte GET CHALLENGE value, with
   * the card key diversified from the external-authentication master key; `undefined` when the
   * keyset holds no such master key for the algorithm.
   */
  externalAuth(alg: CardAlgorithm, cardIdCode: string, challenge: Uint8Array): Buffer | undefined;
}

/** The refusal of every HSM-backed endpoint while the keyset (or the key it needs) is missing. */
export function hsmUnavailable(what = 'issuer keys'): DomainError {
  return new DomainError('HSM_UNAVAILABLE', `the HSM module has no ${what} loaded`, 503);
}

const key16 = z.string().regex(/^[0-9A-Fa-f]{32}$/, '16 bytes as hex expected');
const keysetSchema = z.object({
  version: z.literal(1),
  ssse: z.object({
    '3des': z.object({ internalAuth: key16, externalAuth: key16.optional() }),
    sm4: z.object({ internalAuth: key16, externalAuth: key16.optional() }),
  }),
});

export function hsmFromKeyset(json: unknown): Hsm {
  const parsed = keysetSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // The message names the field, never a value: values are keys.
    throw new DomainError(
      'HSM_KEYSET_INVALID',
      `issuer keyset: ${issue.path.join('.')}: ${issue.message}`,
      500,
    );
  }
  const masters: Record<CardAlgorithm, Buffer> = {
    '3des': Buffer.from(parsed.data.ssse['3des'].internalAuth, 'hex'),
    sm4: Buffer.from(parsed.data.ssse.sm4.internalAuth, 'hex'),
  };
  const externalMasters: Partial<Record<CardAlgorithm, Buffer>> = {};
  for (const alg of ['3des', 'sm4'] as const) {
    const hex = parsed.data.ssse[alg].externalAuth;
    if (hex) externalMasters[alg] = Buffer.from(hex, 'hex');
  }
  return {
    algorithms: ['3des', 'sm4'],
    verifyInternalAuth(alg, cardIdCode, challenge, cryptogram) {
      const master = masters[alg];
      if (!master) return false;
      const cardKey = ssseCardKey(alg, master, parseCardIdCode(cardIdCode).bytes);
      try {
        const expected = internalAuthCryptogram(alg, cardKey, challenge);
        return expected.length === cryptogram.length && timingSafeEqual(expected, cryptogram);
      } finally {
        wipe(cardKey);
      }
    },
    externalAuth(alg, cardIdCode, challenge) {
      const master = externalMasters[alg];
      if (!master) return undefined;
      const cardKey = ssseCardKey(alg, master, parseCardIdCode(cardIdCode).bytes);
      try {
        return externalAuthCryptogram(alg, cardKey, challenge);
      } finally {
        wipe(cardKey);
      }
    },
  };
}

/** Loads the keyset; a missing file gives `undefined` (card-present proof is then unavailable). */
export async function loadHsm(keysFile: string): Promise<Hsm | undefined> {
  let text: string;
  try {
    text = await readFile(keysFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DomainError('HSM_KEYSET_INVALID', `issuer keyset ${keysFile} is not JSON`, 500);
  }
  return hsmFromKeyset(json);
}
