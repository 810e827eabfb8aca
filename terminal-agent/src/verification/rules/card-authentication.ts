import { internalAuthenticate } from '../../apps/internal-authenticate.js';
import { type CardAuthVerifier, isPreparedFor } from '../card-auth-verifier.js';
import type { CardCheckContext } from '../card-context.js';
import { type CardCheck, fail, notApplicable, PASS, type Verdict } from '../types.js';

function notAVerdict(e: unknown, verifier: CardAuthVerifier): Verdict | undefined {
  const why = verifier.unableToJudge?.(e);
  return why === undefined ? undefined : notApplicable(`${verifier.name} could not judge the card (${why})`);
}

/**
 * The card holds the internal authentication key its identification code implies: INTERNAL
 * AUTHENTICATE (`00 88 00 01`) over a challenge from the verifier (PSAM or registry service), and
 * the verifier's judgement of the answer. A copied or home-made card fails here. The challenge
 * may have been prepared while the card was still being read (`preparedChallenge`): the check
 * then does not wait for it, and judges it the same way.
 */
export const cardAuthentication: CardCheck<CardCheckContext> = {
  name: 'card-authentication',
  description: 'the card proves its internal authentication key (PSAM or registry service)',
  usesCard: true,
  skipReason: (ctx) => (ctx.cardAuth ? undefined : 'the terminal has no PSAM and no remote card verifier'),
  async run(ctx) {
    const verifier = ctx.cardAuth!;
    const request = { cardIdCode: ctx.subject.info.cardIdCode, algorithm: ctx.algorithm };
    let issued: Awaited<ReturnType<typeof verifier.challenge>>;
    try {
      const prepared = ctx.preparedChallenge;
      // Asked for while the card was read; its failure is judged here as if asked now.
      issued = await (isPreparedFor(prepared, verifier, request)
        ? prepared.issued
        : verifier.challenge(request));
    } catch (e) {
      const skipped = notAVerdict(e, verifier);
      if (skipped) return skipped;
      throw e;
    }
    const cryptogram = await internalAuthenticate(ctx.session, issued.challenge);
    let ok: boolean;
    try {
      ok = await verifier.verify({ ...request, ...issued, cryptogram });
    } catch (e) {
      const skipped = notAVerdict(e, verifier);
      if (skipped) return skipped;
      throw e;
    }
    return ok
      ? PASS
      : fail(`the card's internal authentication cryptogram is wrong (checked by ${verifier.name})`);
  },
};
