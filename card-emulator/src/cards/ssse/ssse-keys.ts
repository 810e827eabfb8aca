import {
  type CardAlgorithm,
  SSSE_KEY_IDS,
  type SsseKeyUsage,
  parseCardIdCode,
  ssseCardKey,
} from '@sscard/card-core';
import type { CardDocument } from '../card-document.js';
import type { IssuerKeyset } from '../keyset.js';

/** The card's own keys of the social security application, one per usage, diversified from the issuer's master keys. */
export interface SsseCardKeys {
  algorithm: CardAlgorithm;
  internalAuth: Buffer;
  externalAuth: Buffer;
  pinReload: Buffer;
  update: Buffer;
}

/**
 * Diversifies every master key with the card identification code (D = its last 8 bytes). A
 * `keyOverride` in the document replaces the keyset's master key of that usage, which gives a
 * card whose keys the issuer's PSAM does not reproduce.
 */
export function deriveSsseCardKeys(
  doc: CardDocument,
  keyset: IssuerKeyset,
  algorithm: CardAlgorithm,
): SsseCardKeys {
  const cardId = parseCardIdCode(doc.card.cardIdCode).bytes;
  const masters = keyset.ssse[algorithm];
  const keys = { algorithm } as SsseCardKeys;
  for (const usage of Object.keys(SSSE_KEY_IDS) as SsseKeyUsage[]) {
    const master = Buffer.from(doc.keyOverride?.[usage] ?? masters[usage], 'hex');
    keys[usage] = ssseCardKey(algorithm, master, cardId);
    master.fill(0);
  }
  return keys;
}
