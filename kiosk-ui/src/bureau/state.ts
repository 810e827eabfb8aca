import type { Refusal } from '../agent-rest.js';
import type { CardSlot } from '../counter/card-watch.js';
import type { Text } from '../i18n.js';
import type { ClerkView, PinAuthorisationView, ReaderState } from '../protocol.js';

/** F1 unblock a locked PIN, F2 reset a forgotten one: both on the clerk's authorisation. */
export type BureauTab = 'unblock' | 'reload';

/**
 * The counter's screens: the clerk signs in; then per customer the card, the identity check (the
 * number on the cardholder's identity document), the work, and its outcome.
 */
export type BureauStep =
  | { name: 'sign-in'; error: Text | undefined }
  | { name: 'card' }
  | { name: 'identity'; error: Text | undefined }
  | { name: 'working' }
  | { name: 'done'; authorisation: PinAuthorisationView; at: string }
  | { name: 'not-done'; code: number; text: Text }
  | { name: 'problem'; problem: Refusal; text: Text };

export interface BureauState {
  connection: 'connecting' | 'online' | 'offline';
  readers: ReaderState[];
  card: CardSlot;
  tab: BureauTab;
  /** The clerk signed in at this counter; their token is the controller's, never rendered. */
  clerk: ClerkView | undefined;
  idNumberText: string;
  step: BureauStep;
  shown: number;
}

export const INITIAL: BureauState = {
  connection: 'connecting',
  readers: [],
  card: { state: 'empty' },
  tab: 'unblock',
  clerk: undefined,
  idNumberText: '',
  step: { name: 'sign-in', error: undefined },
  shown: 0,
};
