import type { VirtualCard } from './virtual-card.js';

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
