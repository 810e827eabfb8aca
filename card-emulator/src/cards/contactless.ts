import { INS, buildContactlessAtr, encodeResponse, parseAtr, SW } from '@sscard/card-core';
import type { VirtualCard } from '../virtual-card.js';
import { requireDeclaredAtr } from './cos/os-profile.js';
import type { SsseCardOsProfile } from '@sscard/firmware-profiles';

/**
 * Instructions a social security card does not offer through its antenna (sscard convention,
 * docs/card-conventions.md): nothing that takes a PIN or changes the card, and no terminal
 * authentication, so the holder data (EF06) stay closed and a passer-by's reader learns no more
 * than the card data (EF05). VERIFY (20), PIN UNBLOCK (24), PIN change and reload (5E), EXTERNAL AUTHENTICATE (82:
 * the SSSE application's terminal authentication and the debit application's issuer
 * authentication), GENERATE AC (AE) and UPDATE RECORD (DC).
 */
const CONTACT_ONLY_INS: ReadonlySet<number> = new Set([
  INS.VERIFY,
  INS.PIN_UNBLOCK,
  INS.PIN_MANAGEMENT,
  INS.EXTERNAL_AUTHENTICATE,
  INS.GENERATE_AC,
  INS.UPDATE_RECORD,
]);

/**
 * A dual-interface card as a contactless reader slot sees it: the ATR the reader builds for an
 * ISO/IEC 14443-4 card from the card's historical bytes (PC/SC part 3), and the card's own
 * operating system behind it, with the contact-only instructions answered `6985` (conditions of
 * use not satisfied). Only a card whose card OS profile declares a contactless interface can be
 * put in a contactless slot. The card's memory (PIN tries, records, counters) is the same chip's,
 * whichever interface powers it.
 */
export class ContactlessInterface implements VirtualCard {
  readonly #atr: Buffer;

  /** `chip`: the card (or its memory-backed form); `os`: its card OS profile (`SsseCard.profile`). */
  constructor(
    readonly chip: VirtualCard,
    os: SsseCardOsProfile,
  ) {
    if (!os.contactless)
      throw new RangeError(`card ${chip.id} has no contactless interface (card OS ${os.id})`);
    this.#atr = buildContactlessAtr(parseAtr(chip.atr).historical);
    requireDeclaredAtr(os, this.#atr);
  }

  get id(): string {
    return this.chip.id;
  }

  get atr(): Buffer {
    return Buffer.from(this.#atr);
  }

  powerOn(): Buffer {
    this.chip.powerOn();
    return this.atr;
  }

  reset(): Buffer {
    this.chip.reset();
    return this.atr;
  }

  powerOff(): void {
    this.chip.powerOff();
  }

  transmit(command: Buffer): Buffer {
    if (command.length >= 4 && CONTACT_ONLY_INS.has(command[1]!)) {
      return encodeResponse(Buffer.alloc(0), SW.CONDITIONS_NOT_SATISFIED);
    }
    return this.chip.transmit(command);
  }
}
