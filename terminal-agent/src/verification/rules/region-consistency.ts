import {
  isRegionCode,
  parseAtr,
  parseCardIdCode,
  parseSsseHistorical,
  ProtocolError,
  toHex,
  ValidationError,
} from '@sscard/card-core';
import { type CardCheck, type CheckContext, fail, PASS, wasRead } from '../types.js';

/**
 * The chip and the data belong together: the card identification code is well-formed, its issuing
 * region and first issuer bytes are the ones the ATR's historical bytes carry, and the birthplace
 * is a region code. Data copied onto another chip fails here before any cryptography.
 */
export const regionConsistency: CardCheck = {
  name: 'region-consistency',
  description: "the identification code's region and issuer bytes match the ATR and the card's data",
  judges: ['cardIdCode', 'birthplace'],
  skipReason: () => undefined,
  async run({ subject }: CheckContext) {
    let id: ReturnType<typeof parseCardIdCode>;
    try {
      id = parseCardIdCode(subject.info.cardIdCode);
    } catch (e) {
      if (e instanceof ValidationError)
        return fail(`the card identification code is malformed: ${e.message}`);
      throw e;
    }
    let historical: ReturnType<typeof parseSsseHistorical>;
    try {
      historical = parseSsseHistorical(parseAtr(subject.atr).historical);
    } catch (e) {
      if (e instanceof ProtocolError) return fail(`the ATR is not a social security card's: ${e.message}`);
      throw e;
    }
    if (historical.regionPrefix !== id.region.slice(0, 4)) {
      return fail(
        `the ATR names region ${historical.regionPrefix}, the identification code region ${id.region.slice(0, 4)}`,
      );
    }
    if (historical.issuerPrefix !== toHex(id.issuerBytes.subarray(0, 4))) {
      return fail("the ATR's issuer bytes differ from the identification code's");
    }
    if (wasRead(subject, 'birthplace') && !isRegionCode(subject.info.birthplace)) {
      return fail('the birthplace is not a region code');
    }
    return PASS;
  },
};
