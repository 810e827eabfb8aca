import {
  encodeRecord,
  recordNumberOf,
  SSSE_FIELDS,
  type SsseFieldName,
  type SsseFieldValues,
} from '@sscard/card-core';
import type { CardDocument } from './card-document.js';
import { createCard } from './create-card.js';
import type { IssuerKeyset } from './keyset.js';
import type { SsseCard, SsseCardOptions } from './ssse/ssse-card.js';
import { generationOf, ssseAtrFor, ssseCardOs } from './ssse/ssse-os.js';

/** EF05/EF06 fields written over the personalised ones (the name extension is left alone). */
export type AlteredFields = Partial<Omit<SsseFieldValues, 'nameExt'>>;

export interface CardAlteration {
  fields: AlteredFields;
  /**
   * The ATR the chip presents. Its vendor block is always the chip's own, from the card OS
   * profile of the generation the card was issued as: rewriting records does not change the chip
   * or its OS. `altered` (default): region and issuer bytes follow the written identification
   * code, as a forger with a programmable chip sets them, so that the card's data and ATR agree
   * and only the keys give it away. `personalised`: the ATR the card was issued with, so that the
   * written identification code and the ATR disagree.
   */
  atr?: 'altered' | 'personalised';
}

/**
 * A card personalised from `doc` whose records were then rewritten, as a forger copying another
 * card's data onto a chip of their own produces: every key stays diversified from the
 * identification code `doc` was personalised with, so the written data and the keys disagree.
 *
 * ASCII fields (card number, social security number) are written as given, even when they are
 * not valid (a wrong check character): a forger writes bytes, not validated values. The other
 * fields must still be encodable.
 */
export function createAlteredCard(
  doc: CardDocument,
  keyset: IssuerKeyset,
  alteration: CardAlteration,
  options: SsseCardOptions = {},
): SsseCard {
  const writtenId = alteration.fields.cardIdCode ?? doc.card.cardIdCode;
  const atr =
    (alteration.atr ?? 'altered') === 'altered'
      ? ssseAtrFor(writtenId, ssseCardOs(generationOf(doc), options.profiles))
      : undefined;
  const card = createCard(doc, keyset, { ...options, ...(atr ? { atr } : {}) });
  for (const [name, value] of Object.entries(alteration.fields) as [SsseFieldName, string][]) {
    const spec = SSSE_FIELDS[name];
    const file = card.ssse.files.find((f) => f.sfi === spec.sfi);
    const record = recordNumberOf(name, card.generation);
    if (!file || record === undefined)
      throw new RangeError(`a generation ${card.generation} card has no ${name}`);
    file.replace(record, recordBytes(name, value));
  }
  return card;
}

function recordBytes(name: SsseFieldName, value: string): Buffer {
  const spec = SSSE_FIELDS[name];
  if (spec.encoding !== 'ascii') return encodeRecord(name, value as never);
  const body = Buffer.alloc(spec.length);
  body.write(value, 'latin1');
  return Buffer.concat([Buffer.from([spec.tag, spec.length]), body]);
}
