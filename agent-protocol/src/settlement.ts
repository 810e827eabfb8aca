import { z } from 'zod';
import {
  SCHEME_CODES,
  VISIT_TYPES,
  type Quote as ServiceQuote,
  type Settlement,
  type Visit,
  billLinesBody,
  isoDate,
  type reconciliationTotalsSchema,
} from '@sscard/registry-protocol/settlement';

/** The settlement bodies the desk API answers with, as card-service defines them. */
export type { Breakdown, Settlement, Visit } from '@sscard/registry-protocol/settlement';

/**
 * card-service's quote without the challenge that came with it: the agent keeps that for the
 * card's payment proof at the settle; the HIS and the desk screen have no use for it.
 */
export type Quote = Omit<ServiceQuote, 'challenge'>;

/**
 * The hospital and pharmacy desk's local API: medical settlement through the agent, for the HIS
 * (REST) and the desk UI (socket.io events). Hospital and pharmacy terminals only: an agent whose
 * certificate names another type refuses every route here (TERMINAL_TYPE_FORBIDDEN).
 *
 *   POST /v1/settlement/visits                      DeskVisitRequest → Visit (2201)
 *   POST /v1/settlement/visits/:visitId/lines       DeskBillLinesRequest → DeskBillAnswer (2204)
 *   POST /v1/settlement/visits/:visitId/pre-settle  DeskPreSettleRequest → Quote (2206)
 *   POST /v1/settlement/settle                      DeskSettleRequest → DeskSettlementView (PIN, proof, 2207)
 *   POST /v1/settlement/cancel                      DeskCancelRequest → DeskSettlementView (2208)
 *   POST /v1/settlement/reversals                   DeskReversalRequest → DeskReversalView (2601)
 *   GET  /v1/settlement/day?date=YYYY-MM-DD         → DeskDayView (this desk's journal)
 *   GET  /v1/settlement/pending                     → DeskPendingView (journal items without an outcome)
 *   GET  /v1/settlement/reconciliation?date=…       → DeskReconciliationView (journal against 3201/3202)
 *
 * Money is integer fen throughout, with the national interface's field names (registry-protocol's
 * breakdown). The card number of a visit is read from the card in the reader, never taken from
 * the caller; the PIN is typed on the terminal's PIN pad, never sent by the caller.
 *
 * Example (an outpatient visit, one bill line, the patient's account used):
 *
 *   POST /v1/settlement/visits        {"scheme":"310","visitType":"outpatient","hisVisitNo":"MZ20261207-0042"}
 *   ← {"visitId":"…","cardNumber":"…","insuredRegion":"330300",…}
 *   POST /v1/settlement/visits/V/lines {"lines":[{"lineNo":1,"itemCode":"XA01","unitPrice":1250,"quantity":4}]}
 *   ← {"visitId":"V","lineCount":1,"medfee_sumamt":5000}
 *   POST /v1/settlement/visits/V/pre-settle {"useAccount":true}
 *   ← {"quoteId":"Q","expiresAt":"…","breakdown":{"medfee_sumamt":5000,"hifp_pay":…,"acct_pay":…,"psn_cash_pay":…}}
 *   POST /v1/settlement/settle        {"quoteId":"Q"}      (the patient types the PIN on the pad)
 *   ← {"attemptKey":"H-0001:0000000004","settlement":{"settlementId":"…","status":"settled","breakdown":{…}}}
 */

export const DESK_API_PATHS = {
  visits: '/v1/settlement/visits',
  billLines: '/v1/settlement/visits/:visitId/lines',
  preSettle: '/v1/settlement/visits/:visitId/pre-settle',
  settle: '/v1/settlement/settle',
  cancel: '/v1/settlement/cancel',
  reversals: '/v1/settlement/reversals',
  day: '/v1/settlement/day',
  pending: '/v1/settlement/pending',
  reconciliation: '/v1/settlement/reconciliation',
} as const;

const readerName = z.string().min(1).max(200);
const id = z.string().min(1).max(100);

/** 2201 for the card in the reader (`reader`, or the only card present). */
export const deskVisitRequest = z.strictObject({
  reader: readerName.optional(),
  scheme: z.enum(SCHEME_CODES),
  visitType: z.enum(VISIT_TYPES),
  hisVisitNo: z.string().min(1).max(50),
});
export type DeskVisitRequest = z.infer<typeof deskVisitRequest>;

/** 2204: the HIS's itemised bill as JSON, or lines typed at the desk; the same body either way. */
export const deskBillLinesRequest = billLinesBody;
export type DeskBillLinesRequest = z.infer<typeof deskBillLinesRequest>;

export interface DeskBillAnswer {
  visitId: string;
  lineCount: number;
  medfee_sumamt: number;
}

/** 2206: the breakdown for the slip; nothing moves. */
export const deskPreSettleRequest = z.strictObject({ useAccount: z.boolean() });
export type DeskPreSettleRequest = z.infer<typeof deskPreSettleRequest>;

/**
 * 2207: the patient types the PIN on the terminal's PIN pad; the card verifies it and, in the same
 * card session, answers the service's challenge as a payment proof. The card in the reader must
 * be the visit's.
 */
export const deskSettleRequest = z.strictObject({ quoteId: id, reader: readerName.optional() });
export type DeskSettleRequest = z.infer<typeof deskSettleRequest>;

/** 2208: the same day, at the same institution. */
export const deskCancelRequest = z.strictObject({ settlementId: id });
export type DeskCancelRequest = z.infer<typeof deskCancelRequest>;

/** 2601: reverse a settle attempt of this desk whose outcome the desk never learned. */
export const deskReversalRequest = z.strictObject({ attemptKey: id });
export type DeskReversalRequest = z.infer<typeof deskReversalRequest>;

/** The business day (China time) of the day's list and the reconciliation; today without it. */
export const deskDateQuery = z.strictObject({ date: isoDate.optional() });
export type DeskDateQuery = z.infer<typeof deskDateQuery>;

/** A settlement as the desk's journal holds it, with the key it was sent with. */
export interface DeskSettlementView {
  /** The journal key of the settle request: what the service stores as the attempt's key. */
  attemptKey: string;
  settlement: Settlement;
}

export interface DeskReversalView {
  attemptKey: string;
  /** reversed: it had settled and is undone; voided: it never settled and never will; already_ended. */
  outcome: 'reversed' | 'voided' | 'already_ended';
  settlement: Settlement | null;
}

/** This desk's settlements of a business day, from its journal, as they stand now. */
export interface DeskDayView {
  date: string;
  settlements: DeskSettlementView[];
}

/** What a journal item is waiting for. */
export type DeskPendingState =
  /** No answer yet: it will be sent again (cancel, reversal) or resolved by status query (settle). */
  | 'unanswered'
  /** The service kept failing on it (5xx): an operator must look at it. */
  | 'parked';

export interface DeskPendingItem {
  idempotencyKey: string;
  /** `settle`, `cancel`, `reversal`, `register`, `bill`, `pre-settle`. */
  operation: string;
  state: DeskPendingState;
  createdAt: string;
  attempts: number;
  lastError: string | null;
}

export interface DeskPendingView {
  items: DeskPendingItem[];
}

export type ReconciliationTotals = z.infer<typeof reconciliationTotalsSchema>;

/** Where this desk's journal and the service disagree about one settlement. */
export interface DeskReconciliationMismatch {
  /** `missing_in_service`: the journal has it settled, the service does not know it. */
  kind: 'missing_in_service' | 'missing_in_journal' | 'status_differs' | 'amount_differs';
  settlementId: string | null;
  attemptKey: string | null;
  journal: { status: string; medfee_sumamt: number } | null;
  service: { status: string; medfee_sumamt: number } | null;
}

/**
 * The day's reconciliation: the service's totals for the institution (3201), this desk's
 * settlements by the service (3202) and by the journal, and every disagreement.
 */
export interface DeskReconciliationView {
  date: string;
  institutionId: string;
  terminalId: string;
  /** 3201, the whole institution. */
  service: ReconciliationTotals;
  /** This desk's settlements as its journal holds them: the count and sum of those standing. */
  journal: { count: number; standing: number; medfee_sumamt: number };
  /** Journal items still without an outcome: the reconciliation is not final while there are any. */
  pending: number;
  balanced: boolean;
  mismatches: DeskReconciliationMismatch[];
}

/** One step of the desk flow, announced to the terminal's own UI (the desk screen). */
export type DeskStepEvent =
  | { step: 'visit-registered'; visit: Visit }
  | { step: 'bill-uploaded'; bill: DeskBillAnswer }
  | { step: 'quoted'; quote: Quote }
  | { step: 'settled'; result: DeskSettlementView }
  | { step: 'cancelled'; result: DeskSettlementView }
  | { step: 'reversed'; result: DeskReversalView }
  /** A settle whose answer did not come: recorded as pending, resolved when the service answers. */
  | { step: 'pending'; attemptKey: string };
