import type { Breakdown, PolicyDraft, PolicySample } from '@sscard/registry-protocol/settlement';
import { DomainError } from '../errors.js';
import type { Queryable } from '../store/store.js';
import { CalculationError, calculate, identitiesHold } from './calculation.js';
import { policyInForce } from './policies.js';

/**
 * Sample bills quoted under a policy draft and under the version in force on the draft's first
 * day, through the one calculation the engine settles with. Reads the published versions only;
 * nothing is stored, so an operator can try a draft as often as needed before publishing it.
 */
export async function quotePolicyDraft(
  q: Queryable,
  draft: PolicyDraft,
  samples: readonly PolicySample[],
): Promise<{
  inForceVersion: number | null;
  quotes: { name: string; draft: Breakdown; inForce: Breakdown | null }[];
}> {
  const inForce = await policyInForce(q, draft.region, draft.scheme, draft.effectiveFrom).catch(
    (e: unknown) => {
      if (e instanceof DomainError && e.code === 'POLICY_MISSING') return undefined;
      throw e;
    },
  );
  const quote = (parameters: PolicyDraft['parameters'], s: PolicySample, which: string): Breakdown => {
    try {
      const b = calculate({
        parameters,
        accumulators: s.accumulators,
        terms: s.terms,
        lines: s.lines,
        account: s.account,
      });
      if (!identitiesHold(b)) throw new Error('a settlement breakdown failed its identities');
      return b;
    } catch (e) {
      if (e instanceof CalculationError) {
        throw new DomainError('VALIDATION_FAILED', `sample ${s.name} under the ${which}: ${e.message}`, 400, {
          sample: s.name,
        });
      }
      throw e;
    }
  };
  return {
    inForceVersion: inForce?.version ?? null,
    quotes: samples.map((s) => ({
      name: s.name,
      draft: quote(draft.parameters, s, 'draft'),
      inForce: inForce ? quote(inForce.parameters, s, `version ${inForce.version}`) : null,
    })),
  };
}
