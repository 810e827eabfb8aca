import type { ClerkView, PinAuthorisationView, PinManagementView } from '@sscard/agent-protocol';
import type { PinManagementOperation } from '@sscard/registry-protocol';
import type { EventEmitter } from 'node:events';
import type {
  BankBalanceView,
  BankPinBlockView,
  BankWithdrawalView,
  CitizenSummaryReply,
  HsmStepRequest,
  PensionCertificationReply,
} from '@sscard/agent-protocol';
import type { ReaderManagerEvents, ReaderState } from '../readers/reader-manager.js';
import type { CardReadView, LostCardReportView, PinResultView } from './card-view.js';
import type { MinistryBackend, MinistryFunction } from './ministry.js';

export interface AgentActionEvents {
  'card-read': [result: CardReadView];
  'pin-result': [result: PinResultView];
  'lost-card-report': [result: LostCardReportView];
}

/**
 * What the local API can ask the agent to do. Every transport (REST, socket.io, the ministry
 * WebSocket and HTTP forms) calls these, so that a card read looks the same whichever way it was
 * asked for, and each result is announced once to the terminal's own UI (and to the client that
asked, by its transport).
 */
export interface AgentActions extends EventEmitter<AgentActionEvents> {
  readCard(request: { reader?: string | undefined }): Promise<CardReadView>;
  /**
   * `owner` names the client that starts the PIN entry (a socket.io client's id): only it may
   * cancel the entry (`pin-cancel`).
   */
  verifyPin(request?: { owner?: string | undefined }): Promise<PinResultView>;
  changePin(request?: { owner?: string | undefined }): Promise<PinResultView>;
  /** Reports the card in the reader temporarily lost; needs its PIN verified since insertion. */
  reportLost(request: { reader?: string | undefined }): Promise<LostCardReportView>;
  /** The PIN, then the holder's pension and medical account (kiosk terminals; CitizenServices). */
  citizenSummary(request: {
    reader?: string | undefined;
    owner?: string | undefined;
  }): Promise<CitizenSummaryReply>;
  /** The PIN, then the annual pension certification (kiosk and bank terminals; CitizenServices). */
  certifyPension(request: {
    reader?: string | undefined;
    owner?: string | undefined;
  }): Promise<PensionCertificationReply>;
  /** A bank counter's bank PIN for the card in the reader, enciphered (see CardActions.bankPinBlock). */
  bankPinBlock(request: { reader?: string | undefined; format: 0 | 4 }): Promise<BankPinBlockView>;
  /** A cash withdrawal from the card account at a bank counter (see CardActions.bankWithdrawal). */
  bankWithdrawal(request: {
    reader?: string | undefined;
    amount: number;
    pinFormat?: 0 | 4;
  }): Promise<BankWithdrawalView>;
  /** A bank counter's balance enquiry on the bank PIN (see CardActions.bankBalance). */
  bankBalance(request: { reader?: string | undefined; pinFormat?: 0 | 4 }): Promise<BankBalanceView>;
  /** A clerk signing in at a bureau counter (see CardActions.signInClerk). */
  signInClerk(request: { clerkToken: string }): Promise<ClerkView>;
  /** A clerk's authorisation of one PIN reload or unblock for the card in the reader (bureau counters). */
  authorisePin(request: {
    reader?: string | undefined;
    operation: PinManagementOperation;
    clerkToken: string;
    holderIdNumber: string;
  }): Promise<PinAuthorisationView>;
  /** The authorised PIN reload or unblock on the card in the reader (bureau counters). */
  managePin(request: {
    reader?: string | undefined;
    operation: PinManagementOperation;
  }): Promise<PinManagementView>;
  readonly ministry: MinistryBackend;
  /** The bureau HSM's key (`pKey`) for a first step's output, through the terminal's link to card-service. */
  hsmStep(request: { function: HsmStepRequest['function']; step1: string }): Promise<string>;
  /** The ministry return code for a failure the backend threw (no card, reader gone…). */
  ministryCode(error: unknown, fn: MinistryFunction): number;
}

/** The reader side the API shows: the list and the change events. */
export interface ReaderSource extends EventEmitter<ReaderManagerEvents> {
  list(): ReaderState[];
}
