import type { KeypadKey } from '../pinpad/keypad.js';
import type { CardInsertedEvent, CardRemovedEvent, ReaderState } from '../readers/reader-manager.js';
import type { CardReadView, LostCardReportView, PinResultView, VerificationView } from './card-view.js';
import type { PinPrompt } from './pin-flow.js';
import type { Problem } from './problem.js';

/**
 * The socket.io protocol between the agent and its UIs, checked at compile time on both sides
 * (the kiosk UI imports these types). Payloads are plain JSON.
 */
export interface ServerToClientEvents {
  /** The full reader list: sent on connect and after every reader or card change. */
  readers: (readers: ReaderState[]) => void;
  'reader-added': (reader: ReaderState) => void;
  'reader-removed': (reader: Pick<ReaderState, 'name' | 'kind' | 'role'>) => void;
  'card-inserted': (event: CardInsertedEvent) => void;
  'card-removed': (event: CardRemovedEvent) => void;
  /** A card read finished (through any interface); personal data masked unless the terminal reveals it. */
  'card-read': (result: CardReadView) => void;
  /** The checks of the last read (card genuine, data consistent, not expired…). */
  verification: (result: VerificationView) => void;
  /** Ask the citizen for a PIN: on the PIN pad (`device: pinpad`) or on the on-screen keypad. */
  'pin-required': (prompt: PinPrompt) => void;
  /** Digits held so far in the current entry, for drawing dots; never the digits. */
  'pin-progress': (progress: { entryId: string; entered: number }) => void;
  'pin-result': (result: PinResultView) => void;
  /** A lost-card report finished: recorded by card-service, or queued for delivery. */
  'lost-card-report': (result: LostCardReportView) => void;
}

export type Ack<T> = (reply: { ok: true; result: T } | { ok: false; problem: Problem }) => void;

export interface ClientToServerEvents {
  /** One key of the on-screen keypad (kiosk UI only). */
  'pin-key': (key: KeypadKey) => void;
  /** Cancel the PIN entry in progress (either device). */
  'pin-cancel': () => void;
  /** Read the card in `reader` (or the only card present); the result also goes to every client as `card-read`. */
  'read-card': (request: { reader?: string }, ack: Ack<CardReadView>) => void;
  'verify-pin': (ack: Ack<PinResultView>) => void;
  'change-pin': (ack: Ack<PinResultView>) => void;
  /** Report the card in the reader temporarily lost (kiosk and bank terminals; PIN verified first). */
  'report-lost': (request: { reader?: string }, ack: Ack<LostCardReportView>) => void;
}

/** The agent runs one process per terminal: no events between servers. */
export type InterServerEvents = Record<string, never>;

export interface SocketData {
  client: 'browser' | 'token';
  /** Only the agent's own pages (the kiosk UI) may type on the on-screen keypad. */
  ownOrigin: boolean;
}
