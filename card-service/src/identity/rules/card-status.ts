import type { CardStatus } from '../../registry/model.js';
import type { IdentityRule, IdentityRuleRefusal } from './types.js';

const STATUS_REFUSALS: Partial<Record<CardStatus, IdentityRuleRefusal>> = {
  issued: 'CARD_NOT_ACTIVATED',
  temporarily_lost: 'CARD_TEMPORARILY_LOST',
  lost: 'CARD_LOST',
  replaced: 'CARD_REPLACED',
  cancelled: 'CARD_CANCELLED',
};

/** The card is active: not waiting for activation, not reported lost, replaced or cancelled. */
export const cardInForce: IdentityRule = {
  name: 'card-status',
  description: 'the card is active in the registry',
  judge: (f) => STATUS_REFUSALS[f.card.status],
};

/** The card's expiry date has not passed (in China's calendar). */
export const cardNotExpired: IdentityRule = {
  name: 'validity-period',
  description: "the card's expiry date has not passed",
  judge: (f) => (f.card.expiryDate < f.today ? 'CARD_EXPIRED' : undefined),
};
