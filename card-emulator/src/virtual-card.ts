/**
 * What a reader slot needs from a card: the contract between the virtual readers (vpcd bridge,
 * serial reader firmware) and the virtual card operating system. A physical card is the same
 * thing seen through contacts: power gives an ATR, then command APDU in, response APDU out.
 */
export interface VirtualCard {
  /** A stable name for logs and the control API, e.g. the card number or `psam-1`. */
  readonly id: string;
  /** Cold reset: clears volatile security state (selected file, verified PIN, authentication) and returns the ATR. */
  powerOn(): Buffer;
  /** Warm reset: the same as a cold reset for this card OS. */
  reset(): Buffer;
  powerOff(): void;
  /** The ATR the card answers with; valid while powered. */
  readonly atr: Buffer;
  /**
   * One command APDU in, one response APDU (data + SW1 SW2) out. Never throws for a bad command:
   * a malformed APDU gets the status word a real card would give (6700, 6D00, 6E00...).
   */
  transmit(command: Buffer): Buffer;
}

/** What a card shows before any command: its name, its ATR and its power. */
export type CardContacts = Pick<VirtualCard, 'id' | 'atr' | 'powerOn' | 'reset' | 'powerOff'>;

/**
 * A card standing in front of another (a memory, an observer, a reader's limits): its name, ATR
 * and power pass through to `inner` unless a subclass changes them.
 */
export abstract class PassThroughCard<C extends CardContacts> implements CardContacts {
  constructor(readonly inner: C) {}

  get id(): string {
    return this.inner.id;
  }

  get atr(): Buffer {
    return this.inner.atr;
  }

  powerOn(): Buffer {
    return this.inner.powerOn();
  }

  reset(): Buffer {
    return this.inner.reset();
  }

  powerOff(): void {
    this.inner.powerOff();
  }
}
