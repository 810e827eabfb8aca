import { type CardDocument, parseCardDocument } from './card-document.js';
import type { IssuerKeyset } from './keyset.js';
import { type SsseCard, type SsseCardOptions, SsseGen2Card, SsseGen3Card } from './ssse/ssse-card.js';

/**
 * The virtual card a card document describes, with keys from the keyset: generation 2 for
 * specification 2.00, generation 3 for 3.00. The document is checked again, so a hand-edited
 * object fails here with the field named rather than deep inside the card OS.
 */
export function createCard(doc: CardDocument, keyset: IssuerKeyset, options: SsseCardOptions = {}): SsseCard {
  const checked = parseCardDocument(doc);
  return checked.card.specVersion === '2.00'
    ? new SsseGen2Card(checked, keyset, options)
    : new SsseGen3Card(checked, keyset, options);
}
