import { ValidationError, validateCitizenId } from '@sscard/card-core';
import { type CardCheck, type CheckContext, fail, PASS, wasRead } from '../types.js';

/**
 * The holder's data agrees with itself: the social security number is a valid citizen ID number
 * (check character, region, date) and its birth date and gender are the card's (when they were
 * read: the `iReadCardBas` read skips them). Forged or badly personalised cards get these wrong;
 * messages never carry the number.
 */
export const holderDataConsistency: CardCheck = {
  name: 'holder-data-consistency',
  description: 'the social security number is valid and agrees with the birth date and gender',
  judges: ['ssn', 'birthDate', 'gender'],
  skipReason: ({ subject }: CheckContext) =>
    subject.holderDataRead ? undefined : 'the holder data was not released by the card (no PSAM)',
  async run({ subject, now }: CheckContext) {
    const { ssn, birthDate, gender } = subject.info;
    let id: ReturnType<typeof validateCitizenId>;
    try {
      id = validateCitizenId(ssn, { now });
    } catch (e) {
      if (e instanceof ValidationError)
        return fail(`the social security number is not valid (${String(e.details?.reason)})`);
      throw e;
    }
    if (wasRead(subject, 'birthDate') && id.birthDate !== birthDate)
      return fail('the birth date differs from the one in the social security number');
    if (wasRead(subject, 'gender') && id.gender !== gender)
      return fail('the gender differs from the one in the social security number');
    return PASS;
  },
};
