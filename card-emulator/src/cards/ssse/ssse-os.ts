import { buildSsseAtr, historicalBytesFor } from '@sscard/card-core';
import { defaultProfiles, type ProfileSet, type SsseCardOsProfile } from '@sscard/firmware-profiles';
import type { CardDocument } from '../card-document.js';

/** The generation a card document's specification version (EF05 record 3) names. */
export function generationOf(doc: CardDocument): 2 | 3 {
  return doc.card.specVersion === '2.00' ? 2 : 3;
}

/** The card OS profile cards of a generation are built from: the shipped profiles unless others are given. */
export function ssseCardOs(generation: 2 | 3, profiles: ProfileSet = defaultProfiles()): SsseCardOsProfile {
  return profiles.ssseOs(generation);
}

/**
 * `3B 6D 00 00` + the OS's vendor block (chip maker, OS, card maker) + region and issuer bytes of
 * the identification code. The vendor block belongs to the chip; the rest to the data on it.
 */
export function ssseAtrFor(cardIdCode: string, os: SsseCardOsProfile): Buffer {
  return buildSsseAtr(historicalBytesFor(cardIdCode, os.vendorBlock));
}
