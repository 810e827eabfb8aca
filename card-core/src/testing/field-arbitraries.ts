import fc from 'fast-check';
import iconv from 'iconv-lite';
import { makeCitizenId } from '../ssse/citizen-id.js';
import type { SsseFieldName, SsseFieldValues } from '../ssse/model.js';

/**
 * fast-check generators of valid values for every SSSE field, shared by the property tests of
 * the SSSE codecs. Not exported from the package: fast-check is a development dependency.
 */

/** A character of the GB 2312 level-1 hanzi (B0A1–D7F9): the characters of almost every name. */
export function commonHanzi(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 0xb0, max: 0xd7 }), fc.integer({ min: 0xa1, max: 0xfe }))
    .filter(([lead, trail]) => lead !== 0xd7 || trail <= 0xf9)
    .map(([lead, trail]) => iconv.decode(Buffer.from([lead, trail]), 'gbk'));
}

/** A name of 2 to `max` hanzi, sometimes with the middle dot of transliterated names. */
export function chineseName(max = 15): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof({ weight: 12, arbitrary: commonHanzi() }, { weight: 1, arbitrary: fc.constant('·') }), {
      minLength: 2,
      maxLength: max,
    })
    .map((chars) => chars.join(''))
    .filter((name) => !name.startsWith('·') && !name.endsWith('·'));
}

export function compactDate(min = '1900-01-01', max = '2099-12-31'): fc.Arbitrary<string> {
  return fc
    .date({ min: new Date(`${min}T00:00:00Z`), max: new Date(`${max}T00:00:00Z`), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10).replaceAll('-', ''));
}

const REGIONS = ['110105', '320200', '330300', '440305', '510104', '639900', '650102'];

export function cardIdCode(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...REGIONS), fc.uint8Array({ minLength: 8, maxLength: 8 }))
    .map(([region, issuer]) => `${region}D156000005${Buffer.from(issuer).toString('hex').toUpperCase()}`);
}

export function citizenId(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom(...REGIONS),
      compactDate('1900-01-01', '2020-12-31'),
      fc.integer({ min: 0, max: 999 }),
    )
    .map(([region, birth, seq]) => makeCitizenId(region, birth, seq));
}

const ETHNICITIES = [...Array.from({ length: 56 }, (_, i) => String(i + 1).padStart(2, '0')), '97', '98'];

export const FIELD_ARBITRARIES: { [K in SsseFieldName]: fc.Arbitrary<SsseFieldValues[K]> } = {
  cardIdCode: cardIdCode(),
  cardType: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  specVersion: fc.constantFrom('1.00', '2.00', '3.00'),
  initOrg: fc.stringMatching(/^[\x20-\x7e]{0,11}[\x21-\x7e]$|^$/).filter((s) => s.length <= 12),
  issueDate: compactDate(),
  expiryDate: compactDate(),
  cardNumber: fc.stringMatching(/^[0-9A-Z]{9}$/),
  ssn: citizenId(),
  name: fc.oneof(chineseName(15), fc.stringMatching(/^[A-Z][A-Za-z]{0,28}[a-z]$/)),
  nameExt: fc.oneof(fc.constant(''), chineseName(20)),
  gender: fc.constantFrom('1', '2'),
  ethnicity: fc.constantFrom(...ETHNICITIES),
  birthplace: fc.stringMatching(/^[0-9]{6}$/),
  birthDate: compactDate(),
};
