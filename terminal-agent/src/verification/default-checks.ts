import { CheckRegistry } from './check-registry.js';
import type { CardCheckContext } from './card-context.js';
import { cardAuthentication } from './rules/card-authentication.js';
import { holderDataConsistency } from './rules/holder-data.js';
import { offlineDataAuthentication } from './rules/offline-data-authentication.js';
import { regionConsistency } from './rules/region-consistency.js';
import { validityPeriod } from './rules/validity-period.js';

/**
 * The checks a terminal runs on every card, cheapest first: the data's own consistency costs no
 * APDU, then the card's cryptographic proofs. Card authentication runs while the social security
 * application is still selected; offline data authentication then selects the debit application.
 */
export function defaultChecks(): CheckRegistry<CardCheckContext> {
  return new CheckRegistry<CardCheckContext>([
    regionConsistency,
    validityPeriod,
    holderDataConsistency,
    cardAuthentication,
    offlineDataAuthentication,
  ]);
}
