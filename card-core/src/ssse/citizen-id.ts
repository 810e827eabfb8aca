import { ValidationError } from '../errors.js';
import { isCompactDate } from './encoding.js';
import { isIdentityRegionCode } from './region.js';

/**
 * The 18-character citizen identity number of GB 11643-1999, which is also the social security
 * number on the card: region (6 digits), birth date (YYYYMMDD), sequence (3 digits, odd for men),
 * and an ISO 7064 MOD 11-2 check character. Errors never carry the number itself: it is personal
 * data and error messages end up in logs.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';
/** Earlier birth years are typing errors, not people: nobody that old holds a card. */
const EARLIEST_BIRTH_YEAR = 1850;

export type Gender = '1' | '2';

export type CitizenIdFailure = 'length' | 'format' | 'region' | 'birthDate' | 'futureBirthDate' | 'checkChar';

export interface CitizenId {
  region: string;
  /** `YYYYMMDD`. */
  birthDate: string;
  /** The three-digit sequence number within region and birth date. */
  sequence: string;
  /** `'1'` male (odd sequence), `'2'` female (even), the card's gender code. */
  gender: Gender;
}

export interface CitizenIdOptions {
  /** The instant "today" is taken from (China time, UTC+8); the clock when omitted. */
  now?: Date;
}

/** The check character (`0`–`9` or `X`) for the first 17 digits of an identity number. */
export function citizenIdCheckChar(first17: string): string {
  if (!/^[0-9]{17}$/.test(first17)) {
    throw new ValidationError('CITIZEN_ID_INVALID', 'the check character needs exactly 17 digits', {
      reason: 'format',
    });
  }
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += WEIGHTS[i]! * (first17.charCodeAt(i) - 48);
  return CHECK_CHARS[sum % 11]!;
}

/**
 * Parts of a valid identity number, or a ValidationError (`CITIZEN_ID_INVALID`) whose
 * `details.reason` says which rule failed. The check character must be an upper-case `X`, as the
 * card stores it; callers that take keyboard input upper-case it first.
 */
export function validateCitizenId(id: string, options: CitizenIdOptions = {}): CitizenId {
  const fail = (reason: CitizenIdFailure, message: string): never => {
    throw new ValidationError('CITIZEN_ID_INVALID', `invalid citizen ID number: ${message}`, { reason });
  };
  if (typeof id !== 'string' || id.length !== 18) fail('length', 'it must have 18 characters');
  if (!/^[0-9]{17}[0-9X]$/.test(id)) fail('format', '17 digits and a digit or X are expected');
  const region = id.slice(0, 6);
  const birthDate = id.slice(6, 14);
  const sequence = id.slice(14, 17);
  if (!isIdentityRegionCode(region)) fail('region', 'the region code names no province');
  if (!isCompactDate(birthDate) || Number(birthDate.slice(0, 4)) < EARLIEST_BIRTH_YEAR) {
    fail('birthDate', 'the birth date is not a calendar date');
  }
  if (birthDate > chinaToday(options.now ?? new Date()))
    fail('futureBirthDate', 'the birth date is in the future');
  if (citizenIdCheckChar(id.slice(0, 17)) !== id[17]) fail('checkChar', 'the check character does not match');
  return { region, birthDate, sequence, gender: genderOfSequence(sequence) };
}

export function isValidCitizenId(id: string, options: CitizenIdOptions = {}): boolean {
  try {
    validateCitizenId(id, options);
    return true;
  } catch (e) {
    if (e instanceof ValidationError) return false;
    throw e;
  }
}

/**
 * A valid identity number built from its parts, with its check character: for demo and test
 * data, never to invent a number for a real person. `sequence` is 0–999 or three digits; its
 * parity sets the gender.
 */
export function makeCitizenId(region: string, birthDate: string, sequence: number | string): string {
  const seq = typeof sequence === 'number' ? sequenceText(sequence) : sequence;
  if (!/^[0-9]{3}$/.test(seq)) {
    throw new ValidationError('CITIZEN_ID_INVALID', 'the sequence must be three digits', {
      reason: 'format',
    });
  }
  const first17 = `${region}${birthDate}${seq}`;
  const id = first17 + citizenIdCheckChar(first17);
  // Validate the result against a far-future "now" so that demo data may be born today.
  validateCitizenId(id, { now: new Date(Date.UTC(9999, 0, 1)) });
  return id;
}

function sequenceText(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 999) {
    throw new ValidationError('CITIZEN_ID_INVALID', 'the sequence must be 0 to 999', { reason: 'format' });
  }
  return String(n).padStart(3, '0');
}

function genderOfSequence(sequence: string): Gender {
  return (sequence.charCodeAt(2) - 48) % 2 === 1 ? '1' : '2';
}

/** Today's date in China (UTC+8 all year, no daylight saving) as `YYYYMMDD`. */
function chinaToday(now: Date): string {
  const china = new Date(now.getTime() + 8 * 3600 * 1000);
  const y = String(china.getUTCFullYear()).padStart(4, '0');
  const m = String(china.getUTCMonth() + 1).padStart(2, '0');
  const d = String(china.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}
