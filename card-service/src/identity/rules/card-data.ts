import type { IdentityRule } from './types.js';

/** The card number read from the card is the one the registry holds under its identification code. */
export const cardDataMatches: IdentityRule = {
  name: 'card-data',
  description: "the card's number matches the registry's record of its identification code",
  judge: (f) => (f.card.cardNumber === f.request.cardNumber ? undefined : 'CARD_DATA_MISMATCH'),
};

/** The holder's ID number and name read from the card are the registered holder's. */
export const holderMatches: IdentityRule = {
  name: 'holder',
  description: "the holder's ID number and name on the card are the registered holder's",
  judge: (f) =>
    f.holder && f.holder.idNumber === f.request.ssn.toUpperCase() && f.holder.name === f.request.name.trim()
      ? undefined
      : 'HOLDER_MISMATCH',
};
