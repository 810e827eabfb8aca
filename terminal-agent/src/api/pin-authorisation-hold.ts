import type { PinManagementOperation } from '@sscard/registry-protocol';

/** A clerk's authorisation of one PIN reload or unblock, as card-service granted it for a card in a reader. */
export interface HeldAuthorisation {
  authorisationId: string;
  operation: PinManagementOperation;
  cardNumber: string;
  reader: string;
  /** The card's ATR when it was authorised: a card put in its place is not the one authorised. */
  atr: string;
  expiresAt: string;
}

/**
 * The clerk's authorisations a bureau counter holds, one per reader, for the card that was in the
 * reader when the clerk gave it, until it is spent, the card leaves, or another replaces it. The
 * ministry calls (`iReloadPIN`, `iUnblockPIN` and their HSM steps) name no authorisation, so they
 * find it here. card-service decides: it spends each once and judges its expiry by its own clock;
 * this hold only keeps the counter from sending a PIN command without one.
 */
export class PinAuthorisationHold {
  readonly #held = new Map<string, HeldAuthorisation>();

  hold(authorisation: HeldAuthorisation): void {
    this.#held.set(authorisation.reader, authorisation);
  }

  /** The authorisation for `operation` on the card now in `reader` (its ATR), left in place. */
  find(
    reader: string | undefined,
    atr: string | undefined,
    operation: PinManagementOperation,
  ): HeldAuthorisation | undefined {
    if (reader === undefined || atr === undefined) return undefined;
    const held = this.#held.get(reader);
    return held && held.atr === atr && held.operation === operation ? held : undefined;
  }

  /** Removes `authorisation` as it goes to card-service to be spent: right or wrong, it serves once. */
  spend(authorisation: HeldAuthorisation): void {
    if (this.#held.get(authorisation.reader) === authorisation) this.#held.delete(authorisation.reader);
  }

  /** The card left `reader` (or the reader went): what was authorised for it goes with it. */
  drop(reader: string): void {
    this.#held.delete(reader);
  }
}
