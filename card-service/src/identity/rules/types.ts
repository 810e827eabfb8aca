import type { IdentityRefusal, SchemeAsked } from '@sscard/registry-protocol';
import type { TerminalType } from '../../lifecycle/transitions.js';
import type { IdentityRecord } from '../../registry/queries.js';

/** The refusals a rule finds: the check's own (an unknown card, a refused proof) are not rules. */
export type IdentityRuleRefusal = Exclude<IdentityRefusal, 'CARD_UNKNOWN' | `PROOF_${string}`>;

/** What an identity rule judges: the request, the registry's record of the card, and who asks. */
export interface IdentityFacts {
  request: { cardNumber: string; ssn: string; name: string; forScheme?: SchemeAsked };
  /** The card as it stands now (a lapsed temporary loss has lifted itself). */
  card: IdentityRecord['card'];
  holder: IdentityRecord['holder'];
  relations: IdentityRecord['relations'];
  /** Today in China, `YYYY-MM-DD`. */
  today: string;
  terminal: { id: string; type: TerminalType; region: string };
}

/**
 * One named rule of an identity check: the refusal it finds, or undefined when the card passes.
 * Rules are synchronous and read only the facts: the check's one read of the store is done
 * before them, so the hot route pays no more for a rule than the comparison it makes.
 */
export interface IdentityRule {
  readonly name: string;
  readonly description: string;
  judge(facts: IdentityFacts): IdentityRuleRefusal | undefined;
}

/** The first refusal of `rules`, in order. */
export function firstRefusal(
  rules: readonly IdentityRule[],
  facts: IdentityFacts,
): IdentityRuleRefusal | undefined {
  for (const rule of rules) {
    const refusal = rule.judge(facts);
    if (refusal) return refusal;
  }
  return undefined;
}
