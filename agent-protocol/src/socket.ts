import type { CardReadView, LostCardReportView, VerificationView } from './card.js';
import type { CitizenSummaryReply, PensionCertificationReply } from './citizen.js';
import type { KeypadKey, PinProgress, PinPrompt, PinResultView } from './pin.js';
import type { Problem } from './problem.js';
import type { CardInsertedEvent, CardRemovedEvent, ReaderRemovedEvent, ReaderState } from './readers.js';
import type { ReaderRequest } from './rest.js';
import type { DeskSettleRequest, DeskSettlementView, DeskStepEvent } from './settlement.js';

/**
 * The socket.io protocol between the agent and its UIs, checked at compile time on both sides:
 * the agent's server is `Server<ClientToServerEvents, ServerToClientEvents>`, a client is
 * `Socket<ServerToClientEvents, ClientToServerEvents>`. Payloads are plain JSON.
 */
export interface ServerToClientEvents {
  /** The full reader list: sent on connect and after every reader or card change. */
  readers: (readers: ReaderState[]) => void;
  'reader-added': (reader: ReaderState) => void;
  'reader-removed': (reader: ReaderRemovedEvent) => void;
  'card-inserted': (event: CardInsertedEvent) => void;
  'card-removed': (event: CardRemovedEvent) => void;
  /**
   * A card read finished: sent to the terminal's own UI for reads through any interface, and to a
   * client for the reads it asked for (never to other clients). Personal data masked unless the
   * terminal reveals it. `verification`, `pin-result` and `lost-card-report` go the same way.
   */
  'card-read': (result: CardReadView) => void;
  /** The checks of the last read (card genuine, data consistent, not expired…). */
  verification: (result: VerificationView) => void;
  /** Ask the citizen for a PIN: on the PIN pad (`device: pinpad`) or on the on-screen keypad. */
  'pin-required': (prompt: PinPrompt) => void;
  /** Digits held so far in the current entry, for drawing dots; never the digits. */
  'pin-progress': (progress: PinProgress) => void;
  'pin-result': (result: PinResultView) => void;
  /** A lost-card report finished: recorded by card-service, or queued for delivery. */
  'lost-card-report': (result: LostCardReportView) => void;
  /** A step of the desk's settlement flow finished (hospital and pharmacy terminals; own UI only). */
  'settlement-step': (event: DeskStepEvent) => void;
}

/** The answer to a request made over socket.io: its result, or the problem the REST API would answer. */
export type AckReply<T> = { ok: true; result: T } | { ok: false; problem: Problem };
export type Ack<T> = (reply: AckReply<T>) => void;

export interface ClientToServerEvents {
  /** One key of the on-screen keypad (the agent's own pages only). */
  'pin-key': (key: KeypadKey) => void;
  /** Cancel the PIN entry in progress (either device); ignored unless this client started it. */
  'pin-cancel': () => void;
  /** Read the card in `reader` (or the only card present); the result also comes as `card-read`. */
  'read-card': (request: ReaderRequest, ack: Ack<CardReadView>) => void;
  'verify-pin': (ack: Ack<PinResultView>) => void;
  'change-pin': (ack: Ack<PinResultView>) => void;
  /** Report the card in the reader temporarily lost (kiosk and bank terminals; PIN verified first). */
  'report-lost': (request: ReaderRequest, ack: Ack<LostCardReportView>) => void;
  /** The PIN, then the holder's pension and medical account (kiosk terminals), as `POST /v1/citizen/summary`. */
  'citizen-summary': (request: ReaderRequest, ack: Ack<CitizenSummaryReply>) => void;
  /** The PIN, then the annual pension certification (kiosk and bank terminals). */
  'certify-pension': (request: ReaderRequest, ack: Ack<PensionCertificationReply>) => void;
  /**
   * The desk's settle (hospital and pharmacy terminals), as `POST /v1/settlement/settle`: the
   * client that sends it owns the PIN entry and may cancel it (`pin-cancel`).
   */
  settle: (request: DeskSettleRequest, ack: Ack<DeskSettlementView>) => void;
}
