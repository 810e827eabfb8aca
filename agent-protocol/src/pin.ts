import { MinistryReturnCode } from './ministry.js';

export type PinOperation = 'verify' | 'change';

/** Which PIN of an operation is being asked for: a change asks three times. */
export type PinStep = 'current' | 'new' | 'confirm';

export interface PinPrompt {
  entryId: string;
  operation: PinOperation;
  step: PinStep;
  /** Where the citizen types: the hardware PIN pad or the on-screen keypad. */
  device: 'pinpad' | 'keypad';
  prompt: string;
  minLength: number;
  maxLength: number;
  timeoutMs: number;
}

/** Digits held so far in the current entry, for drawing dots; never the digits. */
export interface PinProgress {
  entryId: string;
  entered: number;
}

/**
 * The keys of a PIN entry device, by name: digits, the two correction keys, Enter and Cancel. The
 * kiosk's on-screen keypad sends these names one key at a time, and a hardware PIN pad's keys (the
 * emulated pad's scripts included) have the same names, so the agent handles both alike.
 */
export const KEYPAD_KEYS = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  'back',
  'clear',
  'enter',
  'cancel',
] as const;
export type KeypadKey = (typeof KEYPAD_KEYS)[number];

export function isKeypadKey(value: unknown): value is KeypadKey {
  return typeof value === 'string' && (KEYPAD_KEYS as readonly string[]).includes(value);
}

/** How a PIN operation ended, by name; `card-error` is a card status word (see `code`). */
export const PIN_OUTCOMES = {
  ok: MinistryReturnCode.OK,
  cancelled: MinistryReturnCode.PIN_CANCELLED,
  'timed-out': MinistryReturnCode.PIN_TIMEOUT,
  'bad-length': MinistryReturnCode.PIN_BAD_LENGTH,
  'entries-differ': MinistryReturnCode.PIN_ENTRIES_DIFFER,
  'initial-pin-not-allowed': MinistryReturnCode.PIN_INITIAL_NOT_ALLOWED,
  'change-to-initial-pin': MinistryReturnCode.PIN_CHANGE_TO_INITIAL,
  wrong: MinistryReturnCode.PIN_WRONG,
  locked: MinistryReturnCode.PIN_LOCKED,
} as const;
export type PinOutcome = keyof typeof PIN_OUTCOMES | 'card-error';

const OUTCOME_OF_CODE = new Map<number, PinOutcome>(
  Object.entries(PIN_OUTCOMES).map(([outcome, code]) => [code, outcome as PinOutcome]),
);

/** The named outcome of a PIN operation's return code. */
export function pinOutcomeOf(code: number): PinOutcome {
  return OUTCOME_OF_CODE.get(code) ?? 'card-error';
}

export interface PinResultView {
  operation: PinOperation;
  outcome: PinOutcome;
  /** The ministry return code of the outcome (`PIN_OUTCOMES`), or a card status word negated. */
  code: number;
  ok: boolean;
  /** Tries left after a wrong PIN, when the card said. */
  triesLeft?: number;
  /** The outcome in words, each language starting with a capital so that a UI can show it as a heading. */
  message: { zh: string; en: string };
}
