import { PassThroughCard, type VirtualCard } from './virtual-card.js';

/**
 * A card as a reader slot sees it: the VirtualCard's power handling plus an asynchronous
 * exchange, because a card on real contacts takes time to answer and may never answer. The vpcd
 * bridge and the serial reader firmware hold SlotCards; faults.ts builds them.
 */
export interface SlotCard {
  readonly id: string;
  /** The ATR the card shows; taken at insertion so presence polls need no power. */
  readonly atr: Buffer;
  powerOn(): Buffer;
  reset(): Buffer;
  powerOff(): void;
  /** The response APDU, or undefined when the card stays mute (a reader then times out). */
  exchange(command: Buffer): Promise<Buffer | undefined>;
  /**
   * True, once, when a `disconnect` fault asks the reader to drop its link at this APDU instead of
   * answering; the fault is then spent.
   */
  takeLinkDrop(): boolean;
  /** The card underneath, for the control API. */
  readonly card: VirtualCard;
}

/** What an observer of a card's contacts sees, and may do to a command before the card gets it. */
export interface ContactObserver {
  power?(event: 'power-on' | 'reset' | 'power-off'): void;
  /** A command arriving (upper-case hex); `unanswered` keeps it from the card, as a card pulled mid-command. */
  command?(hex: string): 'unanswered' | undefined;
  /** The card's answer leaving (upper-case hex), or undefined when it stayed mute. */
  answer?(hex: string, response: string | undefined): void;
}

/**
 * A slot card standing between a reader and another slot card (an observer, a reader's limits):
 * everything passes through to `inner` unless a subclass changes it.
 */
export class SlotCardWrapper<C extends SlotCard = SlotCard> extends PassThroughCard<C> implements SlotCard {
  get card(): VirtualCard {
    return this.inner.card;
  }

  takeLinkDrop(): boolean {
    return this.inner.takeLinkDrop();
  }

  exchange(command: Buffer): Promise<Buffer | undefined> {
    return this.inner.exchange(command);
  }
}

/**
 * A slot card that lets an observer watch its contacts and otherwise behaves exactly as the card
 * inside: for tests and benchmarks that need the ground truth of what reached a card, and when.
 */
export class ObservedSlotCard<C extends SlotCard = SlotCard> extends SlotCardWrapper<C> {
  constructor(
    inner: C,
    private readonly observer: ContactObserver,
  ) {
    super(inner);
  }

  override powerOn(): Buffer {
    this.observer.power?.('power-on');
    return super.powerOn();
  }

  override reset(): Buffer {
    this.observer.power?.('reset');
    return super.reset();
  }

  override powerOff(): void {
    this.observer.power?.('power-off');
    super.powerOff();
  }

  override async exchange(command: Buffer): Promise<Buffer | undefined> {
    const hex = command.toString('hex').toUpperCase();
    if (this.observer.command?.(hex) === 'unanswered') return undefined;
    const response = await super.exchange(command);
    this.observer.answer?.(hex, response?.toString('hex').toUpperCase());
    return response;
  }
}
