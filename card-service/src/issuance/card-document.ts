import type { Card, Holder } from '../registry/model.js';

/**
 * The personalisation document of one card: the JSON the issuer writes into the chip. Its shape
 * is card-emulator's `CardDocument` (card-emulator/src/cards/card-document.ts), mirrored here
 * because card-service depends on card-core only. The integration tests hold the two together:
 * `test/src/registry-identity.test.ts` parses every document the running service issues with the
 * emulator's `parseCardDocument` and reads the card made from it. `card-document.test.ts` here
 * checks the keys and the field encodings (card-core's codecs), but cannot see the emulator's type.
 * Dates are the card's `YYYYMMDD`.
 */
export interface CardDocument {
  holder: {
    ssn: string;
    name: string;
    nameExt?: string;
    gender: '1' | '2';
    ethnicity: string;
    birthplace: string;
    birthDate: string;
  };
  card: {
    cardIdCode: string;
    cardType: string;
    specVersion: '2.00' | '3.00';
    initOrg: string;
    issueDate: string;
    expiryDate: string;
    cardNumber: string;
  };
  pin: { value: string; triesLeft: number };
  applications: { ssse: Record<string, never> };
}

/** The card's name record holds 30 GBK bytes: 15 Chinese characters; the rest goes to the extension. */
const NAME_CHARS = 15;

export const compactDate = (isoDate: string): string => isoDate.replaceAll('-', '');
export const isoDate = (compact: string): string =>
  `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;

export function cardDocumentFor(holder: Holder, card: Card, initialPin: string): CardDocument {
  const chars = Array.from(holder.name);
  const name = chars.slice(0, NAME_CHARS).join('');
  const nameExt = chars.slice(NAME_CHARS).join('');
  return {
    holder: {
      ssn: holder.idNumber,
      name,
      ...(nameExt ? { nameExt } : {}),
      gender: holder.gender,
      ethnicity: holder.ethnicity,
      birthplace: holder.birthplace,
      birthDate: compactDate(holder.birthDate),
    },
    card: {
      cardIdCode: card.cardIdCode,
      cardType: card.cardType,
      specVersion: card.specVersion as '2.00' | '3.00',
      initOrg: card.initOrg,
      issueDate: compactDate(card.issueDate),
      expiryDate: compactDate(card.expiryDate),
      cardNumber: card.cardNumber,
    },
    pin: { value: initialPin, triesLeft: 3 },
    applications: { ssse: {} },
  };
}
