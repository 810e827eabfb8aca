import { type CardAlgorithm, buildSsseAtr, historicalBytesFor } from '@sscard/card-core';
import { type CardDocument, ssseRecordsOf } from '../card-document.js';
import type { CardApplication } from '../cos/application.js';
import { CardOs } from '../cos/card-os.js';
import { PinCounter } from '../cos/pin.js';
import { createDebitApplications } from '../debit/debit-application.js';
import type { IssuerKeyset } from '../keyset.js';
import { SsseApplication } from './ssse-application.js';
import { deriveSsseCardKeys } from './ssse-keys.js';

export type CardInterface = 'contact' | 'contactless';

export interface SsseCardOptions {
  /** Fixed GET CHALLENGE source for tests; the system random generator otherwise. */
  random?: (length: number) => Buffer;
  /**
   * The ATR the chip presents instead of the one derived from the identification code: a forged
   * card copying another card's ATR (see altered-card.ts).
   */
  atr?: Buffer;
}

interface GenerationTraits {
  generation: 2 | 3;
  algorithm: CardAlgorithm;
  interfaces: readonly CardInterface[];
  holderDataNeedsExternalAuth: boolean;
}

/**
 * A social security card: the shared card OS with the SSSE DF and, on financial cards, the
 * debit application beside it. The generations differ in the traits below; each has its class.
 */
export abstract class SsseCard extends CardOs {
  readonly document: CardDocument;
  readonly generation: 2 | 3;
  readonly algorithm: CardAlgorithm;
  readonly interfaces: readonly CardInterface[];
  readonly ssse: SsseApplication;

  protected constructor(
    doc: CardDocument,
    keyset: IssuerKeyset,
    traits: GenerationTraits,
    options: SsseCardOptions,
  ) {
    const records = ssseRecordsOf(doc);
    const ssse = new SsseApplication({
      generation: traits.generation,
      ef05: records.EF05.map((r) => r.bytes),
      ef06: records.EF06.map((r) => r.bytes),
      keys: deriveSsseCardKeys(doc, keyset, traits.algorithm),
      pin: new PinCounter(doc.pin.value, doc.pin.triesLeft),
      holderDataNeedsExternalAuth: traits.holderDataNeedsExternalAuth,
    });
    const applications: CardApplication[] = [ssse];
    if (doc.applications.debit) {
      applications.push(
        ...createDebitApplications(doc, keyset, {
          algorithm: doc.applications.debit.acAlgorithm ?? traits.algorithm,
          ...(options.random ? { random: options.random } : {}),
        }),
      );
    }
    super({
      id: doc.card.cardNumber,
      atr: options.atr ?? buildSsseAtr(historicalBytesFor(doc.card.cardIdCode)),
      applications,
      selectAnswers61xx: doc.quirks.selectAnswers61xx,
      ...(options.random ? { random: options.random } : {}),
    });
    this.document = doc;
    this.generation = traits.generation;
    this.algorithm = traits.algorithm;
    this.interfaces = traits.interfaces;
    this.ssse = ssse;
  }
}

/** Generation 2 (specification 2.00): 3DES keys, contact interface only, holder data readable without authentication. */
export class SsseGen2Card extends SsseCard {
  constructor(doc: CardDocument, keyset: IssuerKeyset, options: SsseCardOptions = {}) {
    super(
      doc,
      keyset,
      { generation: 2, algorithm: '3des', interfaces: ['contact'], holderDataNeedsExternalAuth: false },
      options,
    );
  }
}

/** Generation 3 (specification 3.00): SM4 keys, contact and contactless, holder data (EF06) only after EXTERNAL AUTHENTICATE. */
export class SsseGen3Card extends SsseCard {
  constructor(doc: CardDocument, keyset: IssuerKeyset, options: SsseCardOptions = {}) {
    super(
      doc,
      keyset,
      {
        generation: 3,
        algorithm: 'sm4',
        interfaces: ['contact', 'contactless'],
        holderDataNeedsExternalAuth: true,
      },
      options,
    );
  }
}
