import { SSSE_FIELD_NAMES, SSSE_FIELDS, type SsseFieldName } from '@sscard/card-core';
import type { SsseCardInfo } from '../apps/ssse.js';

/**
 * The ministry interface's ways of naming a card and its records (docs/card-conventions.md):
 * `pCardInfo`, the card the caller means, and `pFileAddr`, the records `iReadCard` returns.
 */

/** The values of a `|`-ended list; an empty list is an empty string. Undefined when the text is not one. */
function listValues(text: string): string[] | undefined {
  if (text === '') return [];
  if (!text.endsWith('|')) return undefined;
  const values = text
    .slice(0, -1)
    .split('|')
    .map((v) => v.trim());
  return values.every((v) => v.length > 0) ? values : undefined;
}

/**
 * `pCardInfo`: the card identification code (32 hex), the card number (9 characters) or both,
 * each ended by `|`; empty for whichever card is in the reader. Undefined when malformed.
 */
export function parseCardInfo(
  text: string,
): ((info: Pick<SsseCardInfo, 'cardIdCode' | 'cardNumber'>) => boolean) | undefined {
  const values = listValues(text.trim());
  if (!values || values.length > 2) return undefined;
  const idCodes = values.filter((v) => /^[0-9A-Fa-f]{32}$/.test(v)).map((v) => v.toUpperCase());
  const numbers = values.filter((v) => /^[0-9A-Z]{9}$/.test(v));
  if (idCodes.length + numbers.length !== values.length || idCodes.length > 1 || numbers.length > 1) {
    return undefined;
  }
  return (info) =>
    idCodes.every((c) => c === info.cardIdCode.toUpperCase()) && numbers.every((n) => n === info.cardNumber);
}

export interface RecordAddresses {
  fields: readonly SsseFieldName[];
  /** The name extension record is among them: the read fetches it too. */
  nameExtension: boolean;
}

/**
 * `pFileAddr`: records as file and record tag (`EF05:07|EF06:08|`), or whole files (`EF05|`, its
 * records in record order), each ended by `|`. Undefined when an address names no record of the
 * social security application.
 */
export function parseRecordAddresses(text: string): RecordAddresses | undefined {
  const values = listValues(text.trim());
  if (!values || values.length === 0 || values.length > 20) return undefined;
  const fields: SsseFieldName[] = [];
  for (const address of values) {
    const match = /^(EF0[56])(?::([0-9A-Fa-f]{2}))?$/i.exec(address);
    if (!match) return undefined;
    const file = match[1]!.toUpperCase();
    const inFile = SSSE_FIELD_NAMES.filter((name) => SSSE_FIELDS[name].file === file);
    if (match[2] === undefined) {
      fields.push(...inFile);
      continue;
    }
    const tag = Number.parseInt(match[2], 16);
    const name = inFile.find((n) => SSSE_FIELDS[n].tag === tag);
    if (!name) return undefined;
    fields.push(name);
  }
  return { fields, nameExtension: fields.includes('nameExt') };
}

/** The values of the records asked for, each ended by `|`; a record the card did not release is empty. */
export function formatRecords(info: SsseCardInfo, fields: readonly SsseFieldName[]): string {
  return fields.map((name) => `${(info as Partial<Record<SsseFieldName, string>>)[name] ?? ''}|`).join('');
}
