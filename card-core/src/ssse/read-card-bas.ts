import { ProtocolError, ValidationError } from '../errors.js';

/**
 * The ministry-style `iReadCardBas` result that hospital and bank software already parses:
 * eleven fields, each followed by `|`. The fields are carried as the card gave them; checking
 * them is the reader's job, so this codec checks only the framing.
 */

export interface ReadCardBasFields {
  /** Six-digit issuing region. */
  region: string;
  ssn: string;
  cardNumber: string;
  cardIdCode: string;
  name: string;
  /** Historical bytes of the card's ATR, hex. */
  atrHistorical: string;
  /** Specification version, `1.00` to `3.00`. */
  version: string;
  issueDate: string;
  expiryDate: string;
  terminalNumber: string;
  terminalDeviceNumber: string;
}

/** The order of the fields in the string; fixed by the interface, never reorder. */
export const READ_CARD_BAS_FIELD_ORDER: readonly (keyof ReadCardBasFields)[] = [
  'region',
  'ssn',
  'cardNumber',
  'cardIdCode',
  'name',
  'atrHistorical',
  'version',
  'issueDate',
  'expiryDate',
  'terminalNumber',
  'terminalDeviceNumber',
];

const SEPARATOR = '|';

/** `region|ssn|…|terminalDeviceNumber|`; a field containing `|` could not be read back and is refused. */
export function formatReadCardBas(fields: ReadCardBasFields): string {
  return READ_CARD_BAS_FIELD_ORDER.map((key) => {
    const value = fields[key];
    if (typeof value !== 'string') {
      throw new ValidationError('READ_CARD_BAS_FIELD', `field ${key} must be a string`, { field: key });
    }
    if (value.includes(SEPARATOR)) {
      throw new ValidationError('READ_CARD_BAS_FIELD', `field ${key} contains the separator "|"`, {
        field: key,
      });
    }
    return value + SEPARATOR;
  }).join('');
}

/** The fields of an `iReadCardBas` string: exactly eleven, each ended by `|`. */
export function parseReadCardBas(text: string): ReadCardBasFields {
  const parts = text.split(SEPARATOR);
  const count = READ_CARD_BAS_FIELD_ORDER.length;
  if (parts.length !== count + 1 || parts[count] !== '') {
    throw new ProtocolError(
      'READ_CARD_BAS_FORMAT',
      `iReadCardBas output must be ${count} fields each ended by "|", got ${parts.length - 1} separators${
        parts[parts.length - 1] === '' ? '' : ' and text after the last one'
      }`,
    );
  }
  const fields = {} as ReadCardBasFields;
  READ_CARD_BAS_FIELD_ORDER.forEach((key, i) => {
    fields[key] = parts[i]!;
  });
  return fields;
}

/**
 * The return code for a card status word: the status word negated (`63C0` → -25536,
 * `6A82` → -27266), as the interface passes card errors through; `9000` is success, 0.
 */
export function swToReturnCode(sw: number): number {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ValidationError('SW_INVALID', `a status word is 0000 to FFFF, got ${sw}`);
  }
  return sw === 0x9000 ? 0 : -sw;
}
