import { cardDataMatches, holderMatches } from './card-data.js';
import { cardInForce, cardNotExpired } from './card-status.js';
import { schemeCoverage } from './scheme-coverage.js';
import type { IdentityRule } from './types.js';

/**
 * The rules about what was read, judged before a card-present proof is verified: a proof is
 * spent only on a card the registry recognises as the one read.
 */
export const RECORD_RULES: readonly IdentityRule[] = [cardDataMatches, holderMatches];

/** The rules about the card's and the holder's standing, judged after the proof. */
export const STANDING_RULES: readonly IdentityRule[] = [cardInForce, cardNotExpired, schemeCoverage];

export {
  type IdentityFacts,
  type IdentityRule,
  type IdentityRuleRefusal,
  firstRefusal,
} from './types.js';
