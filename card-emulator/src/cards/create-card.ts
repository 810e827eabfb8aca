import { type CardDocument, parseCardDocument } from './card-document.js';
import type { IssuerKeyset } from './keyset.js';
import { type SsseCard, type SsseCardOptions, SsseGen2Card, SsseGen3Card } from './ssse/ssse-card.js';
import { generationOf } from './ssse/ssse-os.js';

/**
 * The virtual card a card document describes, with keys from the keyset: generation 2 for
 * specification 2.00, generation 3 for 3.00, each built from its generation's card OS profile
 * (`options.profiles`, the shipped ones by default). The document is checked again, so a
 * hand-edited object fails here with the field named rather than deep inside the card OS.
 */
export function createCard(doc: CardDocument, keyset: IssuerKeyset, options: SsseCardOptions = {}): SsseCard {
  const checked = parseCardDocument(doc);
  return generationOf(checked) === 2
    ? new SsseGen2Card(checked, keyset, options)
    : new SsseGen3Card(checked, keyset, options);
}
