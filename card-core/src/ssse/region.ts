/**
 * Administrative region codes (GB/T 2260): six digits, province, prefecture, county. The full
 * table changes every year, so sscard checks only the province part, which is stable; a wrong
 * prefecture is caught later by the registry, not by a card reader.
 */

/** The 31 provinces, autonomous regions and municipalities of the mainland (GB/T 2260). */
export const MAINLAND_PROVINCE_CODES = [
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
] as const;

/** Every province code: the mainland's, Taiwan, Hong Kong and Macau. */
const PROVINCES = new Set<string>([...MAINLAND_PROVINCE_CODES, '71', '81', '82']);

/** True when `code` is six digits with a real province prefix: an issuing region of a card. */
export function isRegionCode(code: string): boolean {
  return /^[0-9]{6}$/.test(code) && PROVINCES.has(code.slice(0, 2));
}

/**
 * Regions that may open an 18-character identity number. Besides the provinces, residence
 * permits for Taiwan residents use 83 and the 2023 foreign permanent resident ID card starts with
 * 9; the social security card is issued to both, so their numbers must pass.
 */
export function isIdentityRegionCode(code: string): boolean {
  return isRegionCode(code) || (/^[0-9]{6}$/.test(code) && (code.startsWith('83') || code.startsWith('9')));
}
