import type { Text } from '../i18n.js';
import { DEFAULT_DISPLAY, type Display } from './display.js';
import type {
  CardReadView,
  CitizenSummaryView,
  LostCardReportView,
  PensionCertificationView,
  PinPrompt,
  PinResultView,
  ReaderState,
} from '../protocol.js';

/** The kiosk's screens, one state each. */
export type View =
  | { name: 'idle' }
  | { name: 'reading' }
  | { name: 'read-failed'; text: Text; code: string }
  | { name: 'result' }
  | { name: 'menu' }
  | { name: 'details' }
  | { name: 'pin-starting' }
  | { name: 'pin'; prompt: PinPrompt; entered: number; digits: string[]; waiting: boolean }
  | { name: 'pin-outcome'; result: PinResultView; retry?: Service | undefined }
  | { name: 'pin-problem'; text: Text; code: string; operation: 'verify' | 'change' }
  | { name: 'lost-confirm' }
  | { name: 'lost-sending' }
  | { name: 'lost-result'; result: LostCardReportView }
  | { name: 'lost-problem'; text: Text; code: string }
  | { name: 'loading'; title: Text }
  | { name: 'pension' }
  | { name: 'medical' }
  | { name: 'statement' }
  | { name: 'certify-confirm' }
  | { name: 'certify-result'; result: PensionCertificationView }
  | { name: 'service-problem'; title: Text; text: Text; code: string }
  | { name: 'take-card' }
  | { name: 'more-time'; resume: View };

/** Screens that show a citizen's data and wait for them: these ask before they give up. */
export const WATCHED = new Set<View['name']>([
  'result',
  'menu',
  'details',
  'pin-outcome',
  'pin-problem',
  'read-failed',
  'lost-confirm',
  'lost-result',
  'lost-problem',
  'pension',
  'medical',
  'statement',
  'certify-confirm',
  'certify-result',
  'service-problem',
]);

/** The services that take the PIN and the card's proof in one go (the agent's citizen services). */
export type Service = 'summary' | 'certify';

/** One citizen's card in the reader, from insertion to removal. */
export interface Visit {
  /** Tells this visit from the next one: an answer that arrives late belongs to its own visit. */
  id: number;
  reader: string;
  card: CardReadView | undefined;
  /** The PIN was verified during this visit: the services are open. */
  verified: boolean;
  /** The citizen is done (or walked away): nothing is read again until this card comes out. */
  finished: boolean;
  /** The citizen confirmed a loss report and is verifying the PIN for it. */
  reportAfterPin: boolean;
  /** The card was reported lost in this visit: the report is not offered twice. */
  reported: boolean;
  /** The holder's pension and medical account, once the PIN and the card's proof opened them. */
  summary: CitizenSummaryView | undefined;
}

export interface KioskState {
  connection: 'connecting' | 'online' | 'offline';
  readers: ReaderState[];
  view: View;
  /** Counts the screens shown: a new screen replaces the old one whole, even with the same name. */
  shown: number;
  visit: Visit | undefined;
  /** False once the agent said it takes no PINs: the PIN services are then not offered. */
  pinAvailable: boolean;
  /** A short announcement that is not a new screen (an assertive live region). */
  announcement: Text | undefined;
  display: Display;
}

export const INITIAL: KioskState = {
  connection: 'connecting',
  readers: [],
  view: { name: 'idle' },
  shown: 0,
  visit: undefined,
  pinAvailable: true,
  announcement: undefined,
  display: DEFAULT_DISPLAY,
};
