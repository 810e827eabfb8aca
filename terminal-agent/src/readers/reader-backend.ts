import type { EventEmitter } from 'node:events';
import type { ReaderKind } from '@sscard/agent-protocol';
import type { ReaderError } from './errors.js';

export type { ReaderKind } from '@sscard/agent-protocol';

/** One slot as a backend sees it. A multi-slot PC/SC reader is several of these, one per name. */
export interface BackendSlot {
  readonly name: string;
  readonly kind: ReaderKind;
  /** Present when a card is powered-up-able in the slot; the ATR it last answered with. */
  readonly atr: Buffer | undefined;
  /** The reader has a keypad on which it takes PINs itself (its channel's `keypad`). */
  readonly keypad?: boolean;
  /** Its keypad also takes a PIN change (the channel's `keypad.change`). */
  readonly keypadChange?: boolean;
}

/** How a PIN entry at the reader's own keypad ended. */
export type KeypadOutcome =
  | { outcome: 'answered' /** The card's response APDU to the VERIFY the reader built. */; response: Buffer }
  | { outcome: 'cancelled' }
  | { outcome: 'timeout' }
  /** A change: the new PIN and its confirmation differed; nothing went to the card. */
  | { outcome: 'entriesDiffer' }
  /** A PIN shorter or longer than the card takes; nothing went to the card. */
  | { outcome: 'badLength' }
  /** A change: the new PIN breaks the new-PIN rule (card-core `newPinRefusal`); nothing went to the card. */
  | { outcome: 'newPinRefused'; refusal: 'initial' | 'trivial' };

/** A reader keypad: the reader takes the PIN and sends the card's VERIFY, so the PIN never reaches the host. */
export interface ReaderKeypad {
  /** `header`: the VERIFY's CLA INS P1 P2; the reader adds Lc and the PIN. */
  verify(header: Buffer): Promise<KeypadOutcome>;
  /** `header`: the CHANGE PIN's CLA INS P1 P2; the reader takes current, new and confirmation. Absent: the reader cannot. */
  change?(header: Buffer): Promise<KeypadOutcome>;
}

/**
 * A card held exclusively for the length of a card session. Bytes in, bytes out: T=0 GET
 * RESPONSE chaining and status words are the session's business, not the transport's.
 */
export interface CardChannel {
  readonly reader: string;
  readonly atr: Buffer;
  transmit(command: Buffer): Promise<Buffer>;
  /** Warm reset: the card forgets selected files, PIN and authentication state; returns the ATR. */
  reset(): Promise<Buffer>;
  /** Releases the card (power off). Safe to call more than once and after a failure. */
  close(): Promise<void>;
  /**
   * A call the channel gave up on (the card's deadline passed) is still stuck in the driver: the
   * release waits for it, which may be until the card is pulled.
   */
  readonly stalled?: boolean;
  /** Present on a reader with a keypad that takes PINs itself. */
  readonly keypad?: ReaderKeypad;
}

export interface ReaderBackendEvents {
  'reader-added': [name: string];
  'reader-removed': [name: string];
  'card-inserted': [name: string, atr: Buffer];
  'card-removed': [name: string];
  error: [error: ReaderError];
}

/**
 * A family of readers (PC/SC through pcscd, serial readers on tty devices). Backends emit only
 * real changes: a reader or card that is the same as before is not announced again.
 */
export interface ReaderBackend extends EventEmitter<ReaderBackendEvents> {
  readonly kind: ReaderKind;
  start(): void;
  stop(): Promise<void>;
  /** Calls into a native driver that had not returned when the backend stopped (see PcscBackend). */
  readonly parkedNativeCalls?: number;
  slots(): BackendSlot[];
  connect(name: string): Promise<CardChannel>;
}
