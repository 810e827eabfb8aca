import { ProtocolError, ValidationError } from '../errors.js';
import { parseCardIdCode } from './card-id.js';
import { type Gender, validateCitizenId } from './citizen-id.js';
import { decodeBcd, decodeBcdDate, decodeGbk, encodeBcd, encodeBcdDate, encodeGbk } from './encoding.js';

/**
 * The social security application (SSSE) as the card presents it: its AID, the two basic data
 * files and the fields in their records (DESIGN.md §6). The card emulator personalises cards from
 * this table and the terminal reads them with it, so both sides agree by construction.
 */

/** `sx1.sh.` followed by the GBK bytes of 社会保障: the name the application is selected by. */
export const SSSE_AID_HEX = '7378312E73682EC9E7BBE1B1A3D5CF';
/** The SSSE AID as bytes. Shared by every caller: copy it before changing it. */
export const SSSE_AID: Buffer = Buffer.from(SSSE_AID_HEX, 'hex');

/**
 * The PSAM's application, which terminals without the card-service link use for the card keys:
 * RID D156000005 + ASCII `PSA` (docs/card-conventions.md). Shared: copy it before changing it.
 */
export const PSAM_AID: Buffer = Buffer.from('D156000005505341', 'hex');

export type SsseFileName = 'EF05' | 'EF06';

export const SSSE_FILES: Readonly<
  Record<SsseFileName, Readonly<{ fid: number; sfi: number; description: string }>>
> = Object.freeze({
  EF05: Object.freeze({ fid: 0xef05, sfi: 5, description: 'card data' }),
  EF06: Object.freeze({ fid: 0xef06, sfi: 6, description: 'holder data' }),
});

/**
 * How a field's value bytes map to its text:
 * - `binary`: shown as upper-case hex;
 * - `byte`: one byte shown as its printable ASCII character;
 * - `ascii`: printable ASCII, left-aligned, padded with 0x00 when shorter than the field;
 * - `bcd-date`: 4-byte BCD `YYYYMMDD`;
 * - `gbk`: GBK text padded with 0x00;
 * - `bcd`: packed BCD digits.
 */
export type SsseEncoding = 'binary' | 'byte' | 'ascii' | 'bcd-date' | 'gbk' | 'bcd';

export type SpecVersion = '1.00' | '2.00' | '3.00';
export type CardGeneration = 1 | 2 | 3;

/** The text form of every SSSE field, as the rest of sscard passes it around. */
export interface SsseFieldValues {
  /** 32 hex characters. */
  cardIdCode: string;
  /** One printable ASCII character, e.g. `'1'` (see the `cardType` field for why). */
  cardType: string;
  specVersion: SpecVersion;
  /** Initialising institution, up to 12 printable ASCII characters. */
  initOrg: string;
  /** `YYYYMMDD`. */
  issueDate: string;
  /** `YYYYMMDD`. */
  expiryDate: string;
  /** Card (face) number: 8 digits or capitals and a check character. */
  cardNumber: string;
  /** Social security number, the holder's 18-character citizen ID number. */
  ssn: string;
  name: string;
  /** Rest of a name longer than the name field (generation 2 and later). */
  nameExt: string;
  gender: Gender;
  /** Two-digit ethnic group code of GB/T 3304 (`01` Han). */
  ethnicity: string;
  /** Six-digit region code of the place of birth. */
  birthplace: string;
  /** `YYYYMMDD`. */
  birthDate: string;
}

export type SsseFieldName = keyof SsseFieldValues;

export interface SsseFieldSpec {
  name: SsseFieldName;
  file: SsseFileName;
  fid: number;
  sfi: number;
  /** Record number on generation 2 and 3 cards. */
  record: number;
  /** Record number on generation 1 cards, which have no name extension; absent when the field does not exist there. */
  gen1Record: number | undefined;
  tag: number;
  /** Value length in bytes; the maximum when `variable`. */
  length: number;
  variable: boolean;
  encoding: SsseEncoding;
  description: string;
}

function field(
  name: SsseFieldName,
  file: SsseFileName,
  record: number,
  gen1Record: number | undefined,
  tag: number,
  length: number,
  encoding: SsseEncoding,
  description: string,
  variable = false,
): SsseFieldSpec {
  const { fid, sfi } = SSSE_FILES[file];
  return Object.freeze({
    name,
    file,
    fid,
    sfi,
    record,
    gen1Record,
    tag,
    length,
    variable,
    encoding,
    description,
  });
}

/**
 * Every field of EF05 and EF06 (DESIGN.md §6). Generation 1 cards lack the name extension, so
 * the holder records after the name move up by one (gender in record 3, as public reader code
 * reads it; ethnicity, birthplace and birth date follow in order).
 */
export const SSSE_FIELDS: Readonly<Record<SsseFieldName, Readonly<SsseFieldSpec>>> = Object.freeze({
  cardIdCode: field('cardIdCode', 'EF05', 1, 1, 0x01, 16, 'binary', 'card identification code'),
  cardType: field('cardType', 'EF05', 2, 2, 0x02, 1, 'byte', 'card type'),
  specVersion: field('specVersion', 'EF05', 3, 3, 0x03, 4, 'ascii', 'specification version'),
  initOrg: field('initOrg', 'EF05', 4, 4, 0x04, 12, 'ascii', 'initialising institution'),
  issueDate: field('issueDate', 'EF05', 5, 5, 0x05, 4, 'bcd-date', 'issue date'),
  expiryDate: field('expiryDate', 'EF05', 6, 6, 0x06, 4, 'bcd-date', 'expiry date'),
  cardNumber: field('cardNumber', 'EF05', 7, 7, 0x07, 9, 'ascii', 'card number'),
  ssn: field('ssn', 'EF06', 1, 1, 0x08, 18, 'ascii', 'social security number'),
  name: field('name', 'EF06', 2, 2, 0x09, 30, 'gbk', 'name'),
  // sscard convention: the public sources give no length; 40 bytes hold 20 more GBK characters,
  // enough for the longest transliterated names, and the record is only as long as its text.
  nameExt: field('nameExt', 'EF06', 3, undefined, 0x4e, 40, 'gbk', 'name extension', true),
  gender: field('gender', 'EF06', 4, 3, 0x0a, 1, 'ascii', 'gender'),
  ethnicity: field('ethnicity', 'EF06', 5, 4, 0x0b, 1, 'bcd', 'ethnicity'),
  birthplace: field('birthplace', 'EF06', 6, 5, 0x0c, 3, 'bcd', 'birthplace'),
  birthDate: field('birthDate', 'EF06', 7, 6, 0x0d, 4, 'bcd-date', 'birth date'),
});

export const SSSE_FIELD_NAMES = Object.keys(SSSE_FIELDS) as SsseFieldName[];

/** The field whose records carry `tag`, for READ RECORD by tag (P2 = 00). */
export function fieldByTag(tag: number): SsseFieldSpec | undefined {
  return SSSE_FIELD_NAMES.map((n) => SSSE_FIELDS[n]).find((f) => f.tag === tag);
}

/** The record number of a field on a card of `generation`, or undefined when that card has no such field. */
export function recordNumberOf(name: SsseFieldName, generation: CardGeneration): number | undefined {
  const spec = SSSE_FIELDS[name];
  return generation === 1 ? spec.gen1Record : spec.record;
}

/** The card generation a specification version stands for. */
export function cardGeneration(specVersion: string): CardGeneration {
  switch (specVersion) {
    case '1.00':
      return 1;
    case '2.00':
      return 2;
    case '3.00':
      return 3;
    default:
      throw new ValidationError('SPEC_VERSION_INVALID', `unknown specification version "${specVersion}"`);
  }
}

// The valid ethnic group codes of GB/T 3304: the 56 groups, 97 other, 98 naturalised citizens.
const ETHNICITY_CODES = new Set([
  ...Array.from({ length: 56 }, (_, i) => String(i + 1).padStart(2, '0')),
  '97',
  '98',
]);

function invalid(name: SsseFieldName, message: string): ValidationError {
  return new ValidationError('FIELD_INVALID', `${SSSE_FIELDS[name].description}: ${message}`, {
    field: name,
  });
}

/** Checks a field's text value and returns the reason it is not valid, or undefined. */
function checkValue(name: SsseFieldName, value: string): string | undefined {
  switch (name) {
    case 'cardType':
      return /^[\x21-\x7e]$/.test(value) ? undefined : 'one printable ASCII character is expected';
    case 'specVersion':
      return ['1.00', '2.00', '3.00'].includes(value) ? undefined : 'expected 1.00, 2.00 or 3.00';
    case 'initOrg':
      return /^[\x20-\x7e]{0,12}$/.test(value) && !value.endsWith(' ')
        ? undefined
        : 'up to 12 printable ASCII characters without trailing spaces are expected';
    case 'cardNumber':
      // The check character's algorithm is not public, so only the form is checked.
      return /^[0-9A-Z]{9}$/.test(value)
        ? undefined
        : '8 digits or capitals and a check character are expected';
    case 'ssn':
      try {
        validateCitizenId(value);
        return undefined;
      } catch (e) {
        if (e instanceof ValidationError) return e.message;
        throw e;
      }
    case 'gender':
      return value === '1' || value === '2' ? undefined : "'1' (male) or '2' (female) is expected";
    case 'ethnicity':
      return ETHNICITY_CODES.has(value) ? undefined : 'a two-digit GB/T 3304 code is expected';
    case 'birthplace':
      return /^[0-9]{6}$/.test(value) ? undefined : 'a six-digit region code is expected';
    case 'name':
      if (value === '') return 'a name is required';
      return value === value.trim() ? undefined : 'a name cannot start or end with spaces';
    case 'nameExt':
      return value === value.trim() ? undefined : 'a name cannot start or end with spaces';
    default:
      return undefined;
  }
}

/** The value bytes of a field (without tag and length), after checking the value. */
export function encodeField<K extends SsseFieldName>(name: K, value: SsseFieldValues[K]): Buffer {
  const spec = SSSE_FIELDS[name];
  if (typeof value !== 'string') throw invalid(name, 'a string value is expected');
  const problem = checkValue(name, value);
  if (problem !== undefined) throw invalid(name, problem);
  switch (spec.encoding) {
    case 'binary':
      return parseCardIdCode(value).bytes;
    case 'byte':
      return Buffer.from(value, 'latin1');
    case 'ascii': {
      const out = Buffer.alloc(spec.length);
      out.write(value, 'latin1');
      return out;
    }
    case 'bcd-date':
      return encodeBcdDate(value);
    case 'gbk': {
      const text = encodeGbk(value);
      if (text.length > spec.length)
        throw invalid(name, `needs ${text.length} GBK bytes, at most ${spec.length} fit`);
      return spec.variable ? text : encodeGbk(value, spec.length);
    }
    case 'bcd':
      return encodeBcd(value, spec.length);
  }
}

/**
 * The text of a field from its value bytes. A wrong length or bytes that cannot be the field's
 * encoding are a ProtocolError; a well-formed but invalid value (an identity number with a wrong
 * check character) is a ValidationError.
 */
export function decodeField<K extends SsseFieldName>(name: K, bytes: Uint8Array): SsseFieldValues[K] {
  const spec = SSSE_FIELDS[name];
  const lengthOk = spec.variable ? bytes.length <= spec.length : bytes.length === spec.length;
  if (!lengthOk) {
    throw new ProtocolError(
      'FIELD_LENGTH',
      `${spec.description}: ${spec.variable ? 'at most ' : ''}${spec.length} bytes expected, got ${bytes.length}`,
      { field: name },
    );
  }
  const value = decodeText(spec, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const problem = checkValue(name, value);
  if (problem !== undefined) throw invalid(name, problem);
  return value as SsseFieldValues[K];
}

function decodeText(spec: SsseFieldSpec, bytes: Buffer): string {
  switch (spec.encoding) {
    case 'binary':
      // The only binary field is the identification code; a wrong RID or region is CARD_ID_FORMAT.
      return parseCardIdCode(bytes).hex;
    case 'byte':
      return bytes.toString('latin1');
    case 'ascii': {
      let end = bytes.length;
      while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--;
      const body = bytes.subarray(0, end);
      if (!body.every((b) => b >= 0x20 && b <= 0x7e)) {
        throw new ProtocolError('ASCII_INVALID', `${spec.description}: bytes are not printable ASCII`, {
          field: spec.name,
        });
      }
      return body.toString('latin1');
    }
    case 'bcd-date':
      return decodeBcdDate(bytes);
    case 'gbk':
      return decodeGbk(bytes);
    case 'bcd':
      return decodeBcd(bytes);
  }
}

/** A whole record: tag, one length byte, and the field's value bytes. */
export function encodeRecord<K extends SsseFieldName>(name: K, value: SsseFieldValues[K]): Buffer {
  const spec = SSSE_FIELDS[name];
  const body = encodeField(name, value);
  return Buffer.concat([Buffer.from([spec.tag, body.length]), body]);
}

/**
 * The value of a record read from a card, after checking that it is the expected field's record:
 * its tag, its length byte, and that the bytes hold exactly that record.
 */
export function decodeRecord<K extends SsseFieldName>(name: K, record: Uint8Array): SsseFieldValues[K] {
  const spec = SSSE_FIELDS[name];
  if (record.length < 2) {
    throw new ProtocolError('RECORD_TRUNCATED', `${spec.description}: a record needs a tag and a length`, {
      field: name,
    });
  }
  const tag = record[0]!;
  const length = record[1]!;
  if (tag !== spec.tag) {
    throw new ProtocolError(
      'RECORD_TAG',
      `${spec.description}: tag ${hexByte(spec.tag)} expected, got ${hexByte(tag)}`,
      { field: name, expected: spec.tag, actual: tag },
    );
  }
  if (record.length !== 2 + length) {
    throw new ProtocolError(
      'RECORD_LENGTH',
      `${spec.description}: length byte says ${length}, the record carries ${record.length - 2} value bytes`,
      { field: name },
    );
  }
  return decodeField(name, record.subarray(2));
}

function hexByte(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * What a card holds in EF05 and EF06: the basic information every terminal reads. `nameExt` is
 * on generation 2 and 3 cards only (an empty record when absent).
 */
export type SsseBasicInfo = Omit<SsseFieldValues, 'nameExt'> & Partial<Pick<SsseFieldValues, 'nameExt'>>;

export interface SsseRecord {
  field: SsseFieldName;
  record: number;
  tag: number;
  /** The whole record: tag, length and value. */
  bytes: Buffer;
}

/**
 * The records of EF05 and EF06 for a card carrying `info`, in record-number order and laid out
 * for the card's generation (from its specification version): what the emulator personalises.
 */
export function encodeBasicInfo(info: SsseBasicInfo): Record<SsseFileName, SsseRecord[]> {
  const generation = cardGeneration(info.specVersion);
  if (info.issueDate > info.expiryDate) {
    throw new ValidationError('FIELD_INVALID', 'the card expires before it is issued', {
      field: 'expiryDate',
    });
  }
  if (generation === 1 && info.nameExt) {
    throw invalid('nameExt', 'generation 1 cards have no name extension record');
  }
  const values: SsseFieldValues = { ...info, nameExt: info.nameExt ?? '' };
  const files: Record<SsseFileName, SsseRecord[]> = { EF05: [], EF06: [] };
  for (const name of SSSE_FIELD_NAMES) {
    const spec = SSSE_FIELDS[name];
    const record = recordNumberOf(name, generation);
    if (record === undefined) continue;
    files[spec.file].push({ field: name, record, tag: spec.tag, bytes: encodeRecord(name, values[name]) });
  }
  for (const list of Object.values(files)) list.sort((a, b) => a.record - b.record);
  return files;
}
