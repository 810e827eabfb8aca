import { wipe } from '@sscard/card-core';
import type { PinFlow } from './pin-flow.js';

/**
 * The cardholder's bank PIN in one card-present transaction: the PIN pad enciphers it for the
 * account number the card gives, and the block is wiped when the transaction ends.
 */
export class BankPinEntry {
  /** The account number the card gave; empty until its cardholder step. */
  pan = '';
  #block: Buffer | undefined;
  readonly #pad: PinFlow;
  readonly format: 0 | 4;

  constructor(pad: PinFlow, format: 0 | 4) {
    this.#pad = pad;
    this.format = format;
  }

  /** The card transaction's cardholder step: the PIN pad enciphers the PIN for the account read. */
  readonly cardholder = async (pan: string): Promise<void> => {
    this.pan = pan;
    this.#block = await this.#pad.encipheredPinBlock({ pan, format: this.format });
  };

  /** The enciphered PIN block as card-service takes it, once the cardholder step has run. */
  hex(): string {
    return this.#block!.toString('hex').toUpperCase();
  }

  wipe(): void {
    if (this.#block) wipe(this.#block);
  }
}
