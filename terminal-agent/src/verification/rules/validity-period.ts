import { chinaDate } from '../china-date.js';
import { type CardCheck, type CheckContext, fail, PASS } from '../types.js';

/** The card is inside its validity period today (China time): issued, and not expired. */
export const validityPeriod: CardCheck = {
  name: 'validity-period',
  description: 'the card is issued and not expired',
  judges: ['issueDate', 'expiryDate'],
  skipReason: () => undefined,
  async run({ subject, now }: CheckContext) {
    const today = chinaDate(now);
    const { issueDate, expiryDate } = subject.info;
    if (issueDate > expiryDate)
      return fail(`the card expires (${expiryDate}) before it was issued (${issueDate})`);
    if (issueDate > today) return fail(`the card's issue date ${issueDate} is in the future`);
    if (expiryDate < today) return fail(`the card expired on ${expiryDate}`);
    return PASS;
  },
};
