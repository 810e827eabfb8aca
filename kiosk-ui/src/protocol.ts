/**
 * The agent's socket.io protocol, as the agent declares it. Type-only imports: the bundler drops
 * them, so no agent code reaches the browser, and a change to an event's shape in the agent fails
 * this package's type check instead of surfacing at a kiosk.
 */
import type {
  Ack,
  CardReadView,
  ClientToServerEvents,
  LostCardReportView,
  PinPrompt,
  PinResultView,
  Problem,
  RegistryView,
  ServerToClientEvents,
  VerificationView,
} from '@sscard/terminal-agent/api/index';
import type {
  CardInsertedEvent,
  CardRemovedEvent,
  ReaderState,
} from '@sscard/terminal-agent/readers/reader-manager';
import type { KeypadKey } from '@sscard/terminal-agent/pinpad/keypad';

export type {
  Ack,
  CardInsertedEvent,
  CardReadView,
  CardRemovedEvent,
  ClientToServerEvents,
  KeypadKey,
  LostCardReportView,
  PinPrompt,
  PinResultView,
  Problem,
  ReaderState,
  RegistryView,
  ServerToClientEvents,
  VerificationView,
};

/** The holder and card fields of a read, as the agent sent them (masked or not, its choice). */
export type CardInfo = CardReadView['info'];
