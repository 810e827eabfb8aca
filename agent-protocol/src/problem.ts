import type { ProblemCode as ServiceProblemCode, IdentityRefusal } from '@sscard/registry-protocol';

/**
 * The codes of the agent's problem bodies, by the part of the terminal they come from. Clients
 * switch on them; a code never changes meaning once published.
 */

/** Requests the local API refuses on its own account. */
export const API_PROBLEM_CODES = [
  'BAD_REQUEST',
  'BODY_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  /** A `%` escape in the path is malformed or decodes to bytes that are not UTF-8. */
  'MALFORMED_PATH',
  /** The body's charset or content encoding is not one the agent reads. */
  'UNSUPPORTED_MEDIA_TYPE',
  /** A lost-card report needs the card's PIN verified at this terminal since it was inserted. */
  'PIN_NOT_VERIFIED',
  /** The card failed the terminal's checks: nothing further is done with it. */
  'CARD_NOT_GENUINE',
  /**
   * A lost-card report needs the card to answer card-service's challenge while it is in the
   * reader (the card-present proof); card-service gave no challenge, or the card did not answer it.
   */
  'CARD_PRESENCE_UNPROVEN',
  /** This terminal's type may not do that (lost-card reports: kiosks and banks). */
  'TERMINAL_TYPE_FORBIDDEN',
  /** The terminal has no card-service configured. */
  'REGISTRY_NOT_CONFIGURED',
  /** A bureau counter holds no clerk's authorisation of this PIN reload or unblock for the card in the reader. */
  'PIN_NOT_AUTHORISED',
  /** The agent failed; the details went to its log. */
  'INTERNAL',
] as const;
export type ApiProblemCode = (typeof API_PROBLEM_CODES)[number];

/** The desk's medical settlement (agent-protocol settlement.ts); the service's refusals pass through as they are. */
export const DESK_PROBLEM_CODES = [
  /** The card in the reader is not the card of the visit being settled. */
  'CARD_NOT_OF_VISIT',
  /** The quote was not made at this agent since it started: pre-settle again. */
  'QUOTE_NOT_AT_THIS_DESK',
  /** The card refused the PIN: `details.triesLeft`. Nothing was sent to card-service. */
  'PIN_WRONG',
  /** The card's PIN is blocked. Nothing was sent to card-service. */
  'PIN_BLOCKED',
  /**
   * The settle got no answer and the service could not be asked what became of it: the attempt is
   * in the journal (`details.attemptKey`) and is resolved, never guessed, when the service answers.
   */
  'SETTLEMENT_OUTCOME_PENDING',
  /** The settle got no answer, and the agent reversed the attempt: nothing was paid; settle again. */
  'SETTLEMENT_ATTEMPT_VOIDED',
  /** A bank withdrawal's authorisation got no answer, and the agent reversed it: nothing was paid out. */
  'WITHDRAWAL_NO_ANSWER',
] as const;
export type DeskProblemCode = (typeof DESK_PROBLEM_CODES)[number];

/** Who may talk to the agent: the Host and Origin checks and the API token. */
export const ACCESS_PROBLEM_CODES = [
  'HOST_NOT_ALLOWED',
  'ORIGIN_NOT_ALLOWED',
  'TOKEN_REQUIRED',
  'TOKEN_INVALID',
  /** A route for the operator's tools (enrolment, the outbox): clients with the token, never a web page. */
  'TOKEN_CLIENT_ONLY',
] as const;
export type AccessDeniedCode = (typeof ACCESS_PROBLEM_CODES)[number];

/** The readers and the card in them. */
export const READER_PROBLEM_CODES = [
  /** The card left the reader while a session was open or an APDU was on its way. */
  'CardRemoved',
  /** No card in the reader (or no reader with a card) when a session was asked for. */
  'NoCard',
  /** The reader itself disappeared (unplugged, driver gone). */
  'ReaderGone',
  /** No such reader, or a reader that cannot serve the request (an ignored or PSAM slot). */
  'ReaderNotFound',
  /** Several readers hold a card and none was named: the operator has to pick one. */
  'ReaderAmbiguous',
  /** The PC/SC service (pcscd) is not running or was restarted; the manager re-establishes it. */
  'ServiceUnavailable',
  /** Another session (this process or another) holds the card exclusively. */
  'ReaderBusy',
  /** The card did not answer within the reader's deadline. */
  'CardMute',
  /** The card answered with bytes that are not a response APDU (garbage, endless 61xx, absurd length). */
  'CardProtocol',
  /** A serial reader's frames were corrupt or did not follow its protocol profile. */
  'ReaderProtocol',
  /** The card session was already closed. */
  'SessionClosed',
  /** A failure of the reader stack that none of the codes above describes. */
  'ReaderFailure',
] as const;
export type ReaderProblemCode = (typeof READER_PROBLEM_CODES)[number];

/** The PIN pad as a device (not a PIN outcome: those are `PinResultView.outcome`). */
export const PIN_PAD_PROBLEM_CODES = [
  'PINPAD_UNAVAILABLE',
  'PINPAD_BUSY',
  'PINPAD_PROTOCOL',
  'PINPAD_DISCONNECTED',
] as const;
export type PinPadProblemCode = (typeof PIN_PAD_PROBLEM_CODES)[number];

/** A PIN entry that ended without a PIN, each with its ministry return code. */
export const PIN_ENTRY_PROBLEM_CODES = [
  'PIN_CANCELLED',
  'PIN_TIMEOUT',
  'PIN_BAD_LENGTH',
  'PIN_ENTRIES_DIFFER',
  'PIN_INITIAL_NOT_ALLOWED',
  'PIN_CHANGE_TO_INITIAL',
] as const;
export type PinEntryProblemCode = (typeof PIN_ENTRY_PROBLEM_CODES)[number];

/** The terminal's link to card-service. */
export const REGISTRY_PROBLEM_CODES = [
  /** No answer: connection refused, reset, DNS failure or timeout. `details.outcomeUnknown` says whether the request may have reached the service. */
  'REGISTRY_UNREACHABLE',
  /** The service's TLS certificate does not chain to the CA this terminal trusts: possibly not our registry. */
  'REGISTRY_UNTRUSTED',
  /** The service answered with something that is not the documented JSON. */
  'REGISTRY_PROTOCOL',
  /** The terminal has no certificate yet and no enrolment code to get one. */
  'NOT_ENROLLED',
  /** The service refused the enrolment (unknown, used or expired code, bad CSR). */
  'ENROLMENT_REFUSED',
  /** The terminal's certificate is past its notAfter: it must be enrolled again. */
  'CERTIFICATE_EXPIRED',
  /** The terminal's certificate is not valid yet: the terminal's clock is probably wrong. */
  'CERTIFICATE_NOT_YET_VALID',
  /** The service revoked this terminal or its certificate. */
  'TERMINAL_REVOKED',
  /** Any other refusal; `serviceCode` carries the service's problem code (e.g. `ILLEGAL_TRANSITION`). */
  'REFUSED',
] as const;
export type RegistryProblemCode = (typeof REGISTRY_PROBLEM_CODES)[number];

/** The terminal's secure access module. */
export const PSAM_PROBLEM_CODES = ['PSAM_ABSENT', 'PSAM_ALGORITHM_UNSUPPORTED', 'PSAM_KEY_MISSING'] as const;
export type PsamProblemCode = (typeof PSAM_PROBLEM_CODES)[number];

/** The card is not a social security card, or its data could not be read as one. */
export const CARD_PROBLEM_CODES = ['NOT_SSSE_CARD', 'CARD_DATA_INVALID'] as const;

/** The card answered a command with this status word (`SW_6A82`). */
export type CardStatusProblemCode = `SW_${string}`;

export type ProblemCode =
  | ApiProblemCode
  | DeskProblemCode
  | AccessDeniedCode
  | ReaderProblemCode
  | PinPadProblemCode
  | PinEntryProblemCode
  | RegistryProblemCode
  | PsamProblemCode
  | (typeof CARD_PROBLEM_CODES)[number]
  | CardStatusProblemCode
  /** A refusal of card-service, passed on with the service's own code (registry-protocol). */
  | ServiceProblemCode;

/** The body of every error answer, and of a failed socket.io acknowledgement. */
export interface Problem {
  code: ProblemCode;
  /** A sentence for a person; never personal data. */
  message: string;
  details: Record<string, unknown>;
}

/** The reasons a `RegistryView` gives: card-service's refusal, or why the agent got no verdict. */
export type RegistryReason = IdentityRefusal | RegistryProblemCode;
