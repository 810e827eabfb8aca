import type { TerminalInstitution, TerminalType } from '@sscard/registry-protocol';
import type { z } from 'zod';
import type { PensionStatementView } from './citizen.js';
import type { ReaderState } from './readers.js';
import type {
  clerkSignInRequest,
  enrolRequest,
  pinAuthorisationRequest,
  pinManagementRequest,
  readerRequest,
  reportLostRequest,
  unparkRequest,
} from './requests.js';

/**
 * The local REST API (`/v1`), for integrators' pages and programs. Answers: `CardReadView`,
 * `PinResultView`, `LostCardReportView`; errors: a `Problem` with its HTTP status (a body that its
 * schema in `requests.ts` refuses: 400 `BAD_REQUEST`, `details.field` naming the field).
 *
 *   GET  /v1/terminal           → TerminalView
 *   GET  /v1/readers            → ReadersAnswer
 *   POST /v1/card/read          ReaderRequest → CardReadView
 *   POST /v1/card/pin/verify    → PinResultView
 *   POST /v1/card/pin/change    → PinResultView
 *   POST /v1/card/report-lost   ReportLostRequest → LostCardReportView
 *   POST /v1/citizen/summary    ReaderRequest → CitizenSummaryReply (kiosk; PIN first)
 *   POST /v1/card/pension-certification  ReaderRequest → PensionCertificationReply (kiosk, bank)
 *   POST /v1/bureau/clerk       ClerkSignInRequest → ClerkView (bureau)
 *   POST /v1/bureau/pin-authorisation  PinAuthorisationLocalRequest → PinAuthorisationView (bureau)
 *   POST /v1/bureau/pin-management     PinManagementRequest → PinManagementView (bureau)
 *   POST /v1/registry/enrol     EnrolRequest → EnrolAnswer (API token clients only)
 *   GET  /v1/outbox             → OutboxAnswer (API token clients only)
 *   POST /v1/outbox/unpark      UnparkRequest → OutboxAnswer (API token clients only)
 */

/**
 * What a page at this terminal is for: the citizen's kiosk screens, a hospital or pharmacy desk's
 * settlement screens, a bank counter's, or a social insurance bureau counter's (a card's PIN
 * reload and unblock, with the clerk's authorisation). The agent decides it from the terminal type
 * the certificate names (the configured one before enrolment) and refuses the calls of the other
 * modes whatever a page asks: a terminal whose certificate and configuration disagree is a kiosk.
 */
export const TERMINAL_MODES = ['kiosk', 'desk', 'bank', 'bureau'] as const;
export type TerminalMode = (typeof TERMINAL_MODES)[number];

/** `GET /v1/terminal`: the terminal the page runs on, for choosing its screens and printing slips. */
export interface TerminalView {
  terminalId: string;
  /** The type the certificate names once enrolled; the configured type before. */
  type: TerminalType;
  /** True when `type` is the certificate's, false when only the configuration says it. */
  enrolled: boolean;
  region: string;
  mode: TerminalMode;
  /**
   * The institution a desk settles for, as card-service has it assigned; null for the other
   * types, for a desk not yet assigned, and while card-service cannot be asked.
   */
  institution: TerminalInstitution | null;
}

export type ClerkSignInRequest = z.input<typeof clerkSignInRequest>;
export type PinAuthorisationLocalRequest = z.input<typeof pinAuthorisationRequest>;
export type PinManagementRequest = z.input<typeof pinManagementRequest>;

/** Names the reader to use; without it, the one reader holding a card. */
export type ReaderRequest = z.input<typeof readerRequest>;

/** A lost-card report: at most the reader; the card number is read from the card. */
export type ReportLostRequest = z.input<typeof reportLostRequest>;

export interface ReadersAnswer {
  readers: ReaderState[];
}

/** A one-time enrolment code from a registry operator. */
export type EnrolRequest = z.input<typeof enrolRequest>;

/**
 * The terminal as its new certificate names it. The agent's answer adds `registry`, the link's
 * state after the enrolment; `sscard enrol --local`, which runs no link, has none.
 */
export interface EnrolAnswer {
  terminalId: string;
  type: string;
  region: string;
  certificateNotAfter: string;
  /** SHA-256 fingerprint of the CA certificate the terminal now trusts. */
  caFingerprint: string;
}

/**
 * One journalled request to card-service that has no answer yet. `parked` is set when the service
 * kept failing on it (5xx) and it was taken out of the resend passes for an operator to look at.
 */
export interface OutboxEntryView {
  idempotencyKey: string;
  operation: string;
  method: string;
  path: string;
  createdAt: string;
  attempts: number;
  lastAttemptAt: string | null;
  lastError: string | null;
  /** 5xx answers in a row. */
  serverErrors: number;
  parked: { at: string; reason: string } | null;
}

/** The outbox as the operator sees it (`sscard outbox`). */
export interface OutboxAnswer {
  /** False while the journal is not open (no card-service configured, or the link not yet up). */
  open: boolean;
  pending: OutboxEntryView[];
  parked: OutboxEntryView[];
  /** Unanswered requests written under an earlier terminal id: an operator must settle them. */
  otherTerminals: OutboxEntryView[];
}

/** Puts a parked request back into the resend passes, once its cause is fixed. */
export type UnparkRequest = z.input<typeof unparkRequest>;

export const AGENT_API_PATHS = {
  terminal: '/v1/terminal',
  readers: '/v1/readers',
  readCard: '/v1/card/read',
  verifyPin: '/v1/card/pin/verify',
  changePin: '/v1/card/pin/change',
  reportLost: '/v1/card/report-lost',
  enrol: '/v1/registry/enrol',
  outbox: '/v1/outbox',
  outboxUnpark: '/v1/outbox/unpark',
  bankPinBlock: '/v1/card/pin/bank-block',
  bankWithdrawal: '/v1/card/debit/withdrawal',
  bankBalance: '/v1/card/debit/balance',
  citizenSummary: '/v1/citizen/summary',
  pensionCertification: '/v1/card/pension-certification',
  bureauClerk: '/v1/bureau/clerk',
  pinAuthorisation: '/v1/bureau/pin-authorisation',
  pinManagement: '/v1/bureau/pin-management',
} as const;

/** `POST /v1/bureau/clerk` (bureau counters): the clerk whose operator token may authorise PIN reload and unblock. */
export interface ClerkView {
  /** The operator token's id: what the audit log names the clerk by. */
  operatorId: string;
  name: string;
}

/**
 * `POST /v1/bureau/pin-authorisation` (bureau counters): the clerk's authorisation of one PIN
 * reload or unblock for the card in the reader, held by the agent for that card until it is used,
 * the card leaves the reader, or `expiresAt` passes. A second authorisation replaces the first.
 */
export interface PinAuthorisationView {
  operation: 'reload' | 'unblock';
  /** Masked unless the terminal reveals personal data. */
  cardNumber: string;
  clerk: ClerkView;
  expiresAt: string;
}

/**
 * `POST /v1/bureau/pin-management` (bureau counters): the authorised operation done on the card
 * in the reader — `ok` with the ministry code 0, else the ministry code of what stopped it (-2205:
 * no authorisation held for this card and operation). A reload sets the initial PIN `123456`.
 */
export interface PinManagementView {
  operation: 'reload' | 'unblock';
  ok: boolean;
  code: number;
}

/**
 * `POST /v1/card/pin/bank-block` (bank terminals): the cardholder's bank PIN for the card in the
 * reader, typed on the PIN pad, which enciphers it under its terminal PIN key; card-service's HSM
 * re-enciphers it under the zone PIN key. The agent never holds the PIN in clear.
 */
/**
 * `POST /v1/card/debit/withdrawal` (bank terminals): the bank PIN taken on the counter's PIN pad
 * (enciphered there, verified by card-service's HSM), the card's online authorisation for a cash
 * withdrawal from its card account, and how it ended. `completed`: the card's TC, verified by the
 * issuer, hand the cash out; `declined`: the issuer declined (`arc` says why), nothing moved;
 * `reversed`: the issuer approved but the card declined (AAC), was pulled, or gave a TC the issuer
 * did not verify, and the debit was given back; `declined_by_card`: the card declined before the
 * issuer was asked.
 */
export interface BankWithdrawalView {
  status: 'completed' | 'declined' | 'reversed' | 'declined_by_card';
  /** The debit application's account number, masked to its last four digits. */
  pan: string;
  amount: number;
  withdrawalId: string | null;
  /**
   * The issuer's authorisation response code ('00' approved, '51' insufficient funds, '55' wrong
   * bank PIN, '62' restricted card, '75' bank PIN blocked).
   */
  arc: string | null;
  /** Wrong bank PINs the issuer still allows (0: blocked), when it answered. */
  pinTriesLeft: number | null;
  /** The card account's balance in fen after the authorisation, as the issuer answered it. */
  balance: number | null;
  /** The journal key of the authorisation, for the counter's records and reconciliation. */
  authorisationKey: string | null;
}

/**
 * `POST /v1/card/debit/balance` (bank terminals): the teller's balance enquiry of the card account
 * (the debit application's account, where the pension is paid), on the bank PIN as a withdrawal
 * is — typed on the counter's PIN pad within one debit transaction, verified by card-service's HSM
 * with the card's ARQC for an enquiry. `shown`: the statement; `declined`: the issuer declined
 * (`arc` '55' wrong bank PIN, '75' blocked, '62' card not active); `declined_by_card`: the card
 * declined before the issuer was asked.
 */
export interface BankBalanceView {
  status: 'shown' | 'declined' | 'declined_by_card';
  /** The debit application's account number, masked to its last four digits. */
  pan: string;
  arc: string | null;
  /** Wrong bank PINs the issuer still allows (0: blocked), when it answered. */
  pinTriesLeft: number | null;
  /** With the card number as the terminal shows card numbers. */
  statement: PensionStatementView | null;
}

export interface BankPinBlockView {
  /** The debit application's account number, masked to its last four digits. */
  pan: string;
  /** The PIN block under the zone PIN key, hex: what the counter sends the bank with the authorisation. */
  pinBlock: string;
  format: 0;
}
