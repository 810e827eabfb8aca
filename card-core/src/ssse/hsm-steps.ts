import type { CardAlgorithm } from '../crypto/card-auth.js';
import { ProtocolError, ValidationError } from '../errors.js';

/**
 * The two-step calls of the ministry interface for terminals without a PSAM
 * (`iReadCardBas_HSM_Step1`/`Step2`, and the same for PIN reload and unblock): the first step
 * lists what the bureau's HSM needs of the card in the reader, the application takes it to the
 * HSM, and passes the HSM's answer (`pKey`) to the second step. Both strings are the
 * interface's; the values in them are sscard conventions (docs/card-conventions.md).
 *
 *   Step1: region | ATR historical bytes | algorithm flag | card id code |
 *          challenge | random | answer (two values) | terminal number |
 *   pKey:  internal | external |
 */

/** The algorithm flag, as the PSAM's key preparation names the algorithms (01 3DES, 04 SM4). */
export const HSM_ALGORITHM_FLAGS: Readonly<Record<CardAlgorithm, string>> = { '3des': '01', sm4: '04' };

export interface HsmStep1Fields {
  region: string;
  /** The card's ATR historical bytes, hex. */
  atrHistorical: string;
  algorithm: CardAlgorithm;
  /** 32 hex characters. */
  cardIdCode: string;
  /**
   * The card's GET CHALLENGE value (8 bytes, hex), the last command of the first step: the card
   * keeps it for the second step's command (EXTERNAL AUTHENTICATE, RELOAD PIN, PIN UNBLOCK).
   */
  challenge: string;
  /** The terminal's random (8 bytes, hex), padded with zeros to one block for INTERNAL AUTHENTICATE. */
  random: string;
  /** The card's INTERNAL AUTHENTICATE answer over the padded random, hex (8 bytes 3DES, 16 SM4). */
  internalAnswer: string;
  terminalNumber: string;
}

const SEPARATOR = '|';
const HEX8 = /^[0-9A-F]{16}$/;

function fieldError(field: string, message: string): ValidationError {
  return new ValidationError('HSM_STEP_FIELD', `${field}: ${message}`, { field });
}

/** The four 8-byte values are fixed in length: a 3DES card's 8-byte answer is followed by 8 zero bytes. */
export function formatHsmStep1(fields: HsmStep1Fields): string {
  const answerLength = fields.algorithm === 'sm4' ? 32 : 16;
  const answer = fields.internalAnswer.toUpperCase();
  if (!new RegExp(`^[0-9A-F]{${answerLength}}$`).test(answer)) {
    throw fieldError('internalAnswer', `${answerLength / 2} bytes of hex expected`);
  }
  const padded = answer.padEnd(32, '0');
  const values = [
    fields.region,
    fields.atrHistorical.toUpperCase(),
    HSM_ALGORITHM_FLAGS[fields.algorithm],
    fields.cardIdCode.toUpperCase(),
    fields.challenge.toUpperCase(),
    fields.random.toUpperCase(),
    padded.slice(0, 16),
    padded.slice(16),
    fields.terminalNumber,
  ];
  for (const value of values) {
    if (value.includes(SEPARATOR)) throw fieldError('step1', 'a value contains the separator "|"');
  }
  if (!HEX8.test(values[4]!)) throw fieldError('challenge', '8 bytes of hex expected');
  if (!HEX8.test(values[5]!)) throw fieldError('random', '8 bytes of hex expected');
  return values.map((v) => v + SEPARATOR).join('');
}

/** The fields of a first step's output; anything that is not exactly its nine fields is refused. */
export function parseHsmStep1(text: string): HsmStep1Fields {
  const parts = text.split(SEPARATOR);
  if (parts.length !== 10 || parts[9] !== '') {
    throw new ProtocolError('HSM_STEP1_FORMAT', 'a first step is 9 fields, each ended by "|"');
  }
  const [region, atrHistorical, flag, cardIdCode, challenge, random, answer1, answer2, terminalNumber] =
    parts.map((p) => p.trim()) as [string, string, string, string, string, string, string, string, string];
  const algorithm = (Object.keys(HSM_ALGORITHM_FLAGS) as CardAlgorithm[]).find(
    (alg) => HSM_ALGORITHM_FLAGS[alg] === flag,
  );
  if (!algorithm) throw fieldError('algorithm', `flag 01 (3DES) or 04 (SM4) expected, got "${flag}"`);
  if (!/^[0-9]{6}$/.test(region)) throw fieldError('region', 'six digits expected');
  if (!/^([0-9A-Fa-f]{2}){1,15}$/.test(atrHistorical))
    throw fieldError('atrHistorical', 'hex bytes expected');
  if (!/^[0-9A-Fa-f]{32}$/.test(cardIdCode)) throw fieldError('cardIdCode', '16 bytes of hex expected');
  for (const [name, value] of [
    ['challenge', challenge],
    ['random', random],
    ['answer', answer1],
    ['answer', answer2],
  ] as const) {
    if (!HEX8.test(value.toUpperCase())) throw fieldError(name, '8 bytes of hex expected');
  }
  if (algorithm === '3des' && !/^0{16}$/.test(answer2)) {
    throw fieldError('answer', "a 3DES card's 8-byte answer is followed by 8 zero bytes");
  }
  return {
    region,
    atrHistorical: atrHistorical.toUpperCase(),
    algorithm,
    cardIdCode: cardIdCode.toUpperCase(),
    challenge: challenge.toUpperCase(),
    random: random.toUpperCase(),
    internalAnswer: (algorithm === 'sm4' ? answer1 + answer2 : answer1).toUpperCase(),
    terminalNumber,
  };
}

/** The HSM's answer for the second step: what it vouches for the card, and the command's cryptogram or MAC. */
export interface HsmKey {
  /** The card's INTERNAL AUTHENTICATE answer the HSM verified, hex. */
  internal: string;
  /** The EXTERNAL AUTHENTICATE cryptogram, or the 4-byte MAC of RELOAD PIN / PIN UNBLOCK, hex. */
  external: string;
}

export function formatHsmKey(key: HsmKey): string {
  return `${key.internal.toUpperCase()}${SEPARATOR}${key.external.toUpperCase()}${SEPARATOR}`;
}

/** `"<internal>|<external>|"`; the trailing `|` may be missing, as some applications pass it. */
export function parseHsmKey(text: string): HsmKey {
  const parts = text.trim().split(SEPARATOR);
  if (parts.length === 3 && parts[2] === '') parts.pop();
  const [internal, external] = parts.map((p) => p.trim());
  if (
    parts.length !== 2 ||
    !internal ||
    !external ||
    !/^([0-9A-Fa-f]{2})+$/.test(internal) ||
    !/^([0-9A-Fa-f]{2})+$/.test(external) ||
    internal.length > 32 ||
    external.length > 32
  ) {
    throw new ProtocolError('HSM_KEY_FORMAT', 'the HSM answer is "<internal>|<external>|" in hex');
  }
  return { internal: internal.toUpperCase(), external: external.toUpperCase() };
}
