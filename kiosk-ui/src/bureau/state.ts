import type { Refusal } from '../agent-rest.js';
import { COUNTER_START, type CounterState } from '../counter/state.js';
import type { Text } from '../i18n.js';
import type { ClerkView, PinAuthorisationView } from '../protocol.js';

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

export interface BureauState extends CounterState<BureauStep> {
  tab: BureauTab;
  /** The clerk signed in at this counter; their token is the controller's, never rendered. */
  clerk: ClerkView | undefined;
  idNumberText: string;
}

export const INITIAL: BureauState = {
  ...COUNTER_START,
  tab: 'unblock',
  clerk: undefined,
  idNumberText: '',
  step: { name: 'sign-in', error: undefined },
};
