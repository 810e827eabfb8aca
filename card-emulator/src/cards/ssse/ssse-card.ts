import type { CardAlgorithm } from '@sscard/card-core';
import { ProfileError, type ProfileSet, type SsseCardOsProfile } from '@sscard/firmware-profiles';
import { type CardDocument, ssseRecordsOf } from '../card-document.js';
import type { CardApplication } from '../cos/application.js';
import { CardOs } from '../cos/card-os.js';
import { cardOsBehaviour, requireDeclaredAtr } from '../cos/os-profile.js';
import { PinCounter } from '../cos/pin.js';
import {
  type DebitApplication,
  type DebitMemory,
  createDebitApplications,
  isDebitApplication,
} from '../debit/debit-application.js';
import type { IssuerKeyset } from '../keyset.js';
import { SsseApplication, type SsseMemory } from './ssse-application.js';
import { deriveSsseCardKeys } from './ssse-keys.js';
import { ssseAtrFor, ssseCardOs } from './ssse-os.js';

export type CardInterface = 'contact' | 'contactless';

export interface SsseCardOptions {
  /** Fixed GET CHALLENGE source for tests; the system random generator otherwise. */
  random?: (length: number) => Buffer;
  /**
   * The ATR the chip presents instead of the one its card OS profile and identification code
   * give: a forged card copying another card's ATR (see altered-card.ts).
   */
  atr?: Buffer;
  /** Card OS profiles the card is built from (`ssseOs(generation)`); the shipped ones by default. */
  profiles?: ProfileSet;
}

/**
 * Everything a social security card keeps across power loss, as its EEPROM does: the PIN and its
 * retry counter, the SSSE records, and the debit application's transaction counters. The card
 * identification code names the card the memory belongs to.
 */
export interface SsseCardMemory {
  cardIdCode: string;
  ssse: SsseMemory;
  debit?: DebitMemory;
}

/** What the generation fixes by the card conventions; the card OS profile must agree with it. */
interface GenerationTraits {
  generation: 2 | 3;
  algorithm: CardAlgorithm;
  holderDataNeedsExternalAuth: boolean;
}

/**
 * A social security card: the shared card OS with the SSSE DF and, on financial cards, the
 * debit application beside it. The generations differ in the traits below; each has its class.
 * What a terminal tells card operating systems apart by (the ATR's vendor block, the answer to
 * SELECT, the interfaces) comes from the generation's card OS profile, the same file the
 * terminal matches the ATR against.
 */
export abstract class SsseCard extends CardOs {
  readonly document: CardDocument;
  readonly generation: 2 | 3;
  readonly algorithm: CardAlgorithm;
  readonly interfaces: readonly CardInterface[];
  readonly ssse: SsseApplication;
  /** The card OS profile this card was built from. */
  readonly profile: SsseCardOsProfile;
  readonly #debit: DebitApplication | undefined;

  protected constructor(
    doc: CardDocument,
    keyset: IssuerKeyset,
    traits: GenerationTraits,
    options: SsseCardOptions,
  ) {
    const os = ssseCardOs(traits.generation, options.profiles);
    if (os.algorithm !== traits.algorithm) {
      throw new ProfileError(
        'PROFILE_MISMATCH',
        `card OS profile ${os.id}: generation ${traits.generation} cards use ${traits.algorithm} keys, the profile says ${os.algorithm}`,
        { id: os.id, path: 'algorithm' },
      );
    }
    const behaviour = cardOsBehaviour(os);
    let atr = options.atr;
    if (atr === undefined) {
      atr = ssseAtrFor(doc.card.cardIdCode, os);
      requireDeclaredAtr(os, atr);
    }
    const records = ssseRecordsOf(doc);
    const ssse = new SsseApplication({
      generation: traits.generation,
      ef05: records.EF05.map((r) => r.bytes),
      ef06: records.EF06.map((r) => r.bytes),
      keys: deriveSsseCardKeys(doc, keyset, traits.algorithm),
      pin: new PinCounter(doc.pin.value, doc.pin.triesLeft),
      holderDataNeedsExternalAuth: traits.holderDataNeedsExternalAuth,
      // A document may say how this one card answers: card makers differ within one generation.
      fciWaiting: doc.quirks.selectAnswers61xx ?? behaviour.fciWaiting,
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
      atr,
      applications,
      requiresMfSelectFirst: behaviour.requiresMfSelectFirst,
      ...(options.random ? { random: options.random } : {}),
    });
    this.document = doc;
    this.generation = traits.generation;
    this.algorithm = traits.algorithm;
    this.interfaces = os.contactless ? ['contact', 'contactless'] : ['contact'];
    this.ssse = ssse;
    this.profile = os;
    this.#debit = applications.find(isDebitApplication);
  }

  memory(): SsseCardMemory {
    return {
      cardIdCode: this.document.card.cardIdCode,
      ssse: this.ssse.memory(),
      ...(this.#debit ? { debit: this.#debit.memory() } : {}),
    };
  }

  /**
   * Loads what this card wrote before it lost power. Memory of another card, or that does not fit
   * this card's personalisation, is refused before anything changes.
   */
  restoreMemory(memory: SsseCardMemory): void {
    if (memory.cardIdCode !== this.document.card.cardIdCode) {
      throw new RangeError(
        `the memory belongs to card ${memory.cardIdCode}, not ${this.document.card.cardIdCode}`,
      );
    }
    if ((memory.debit === undefined) !== (this.#debit === undefined)) {
      throw new RangeError('the memory and the card disagree on the debit application');
    }
    const before = this.memory();
    try {
      this.ssse.restoreMemory(memory.ssse);
      if (memory.debit) this.#debit!.restoreMemory(memory.debit);
    } catch (e) {
      this.ssse.restoreMemory(before.ssse);
      throw e;
    }
  }
}

/** Generation 2 (specification 2.00): 3DES keys, holder data readable without authentication. */
export class SsseGen2Card extends SsseCard {
  constructor(doc: CardDocument, keyset: IssuerKeyset, options: SsseCardOptions = {}) {
    super(doc, keyset, { generation: 2, algorithm: '3des', holderDataNeedsExternalAuth: false }, options);
  }
}

/** Generation 3 (specification 3.00): SM4 keys, holder data (EF06) only after EXTERNAL AUTHENTICATE. */
export class SsseGen3Card extends SsseCard {
  constructor(doc: CardDocument, keyset: IssuerKeyset, options: SsseCardOptions = {}) {
    super(doc, keyset, { generation: 3, algorithm: 'sm4', holderDataNeedsExternalAuth: true }, options);
  }
}
