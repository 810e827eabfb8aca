/**
 * The agent's protocol as agent-protocol declares it: the kiosk's one workspace dependency. The
 * bundler takes only the named values used here (outcome names), never agent code, and a change
 * to an event's shape fails this package's type check instead of surfacing at a kiosk.
 */
export type {
  Ack,
  CardInsertedEvent,
  CardReadView,
  CardRemovedEvent,
  CitizenSettlementView,
  ClerkView,
  PinAuthorisationView,
  PinManagementView,
  CitizenSummaryReply,
  CitizenSummaryView,
  ClientToServerEvents,
  PensionCertificationReply,
  PensionCertificationView,
  PensionPaymentView,
  DeskBillAnswer,
  DeskBillLinesRequest,
  DeskDayView,
  DeskPendingView,
  DeskReconciliationView,
  DeskSettlementView,
  DeskVisitRequest,
  Breakdown,
  KeypadKey,
  PinProgress,
  Quote,
  Settlement,
  Visit,
  BankPinBlockView,
  BankWithdrawalView,
  BankBalanceView,
  PensionStatementView,
  LostCardReportView,
  PinPrompt,
  PinResultView,
  Problem,
  ReaderState,
  RegistryReason,
  RegistryView,
  ServerToClientEvents,
  TerminalView,
  VerificationView,
} from '@sscard/agent-protocol';

import type { CardReadView } from '@sscard/agent-protocol';

/** The holder and card fields of a read, as the agent sent them (masked or not, its choice). */
export type CardInfo = CardReadView['info'];
