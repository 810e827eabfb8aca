import { requireSuccess } from '@sscard/card-core';
import type { CardCheckContext } from '../card-context.js';
import { type CardCheck, fail, PASS } from '../types.js';

/**
 * The card holds the internal authentication key its identification code implies: INTERNAL
 * AUTHENTICATE (`00 88 00 01`) over a challenge from the verifier (PSAM or registry service), and
 * the verifier's judgement of the answer. A copied or home-made card fails here.
 */
export const cardAuthentication: CardCheck<CardCheckContext> = {
  name: 'card-authentication',
  description: 'the card proves its internal authentication key (PSAM or registry service)',
  skipReason: (ctx) => (ctx.cardAuth ? undefined : 'the terminal has no PSAM and no remote card verifier'),
  async run(ctx) {
    const verifier = ctx.cardAuth!;
    const request = { cardIdCode: ctx.subject.info.cardIdCode, algorithm: ctx.algorithm };
    const issued = await verifier.challenge(request);
    const res = await ctx.session.transmit({
      cla: 0x00,
      ins: 0x88,
      p1: 0x00,
      p2: 0x01,
      data: issued.challenge,
      le: issued.challenge.length,
    });
    const cryptogram = requireSuccess(res, 'internal authentication');
    const ok = await verifier.verify({ ...request, ...issued, cryptogram });
    return ok
      ? PASS
      : fail(`the card's internal authentication cryptogram is wrong (checked by ${verifier.name})`);
  },
};
