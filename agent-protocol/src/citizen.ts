import type { pension } from '@sscard/registry-protocol';
import type { PinResultView } from './pin.js';

/**
 * The citizen's services at a kiosk that need the card's payment proof: the PIN is typed (on the
 * keypad or the PIN pad), then in one card session the card verifies it and answers card-service's
 * challenge. `pin` is that PIN's outcome (also announced as `pin-result`); the service's answer is
 * there only when the card accepted the PIN.
 */

/** `POST /v1/citizen/summary` (kiosk terminals): pension and medical personal account. */
export type CitizenSummaryView = pension.CitizenSummary;
export type CitizenSettlementView = pension.CitizenSettlement;
export type PensionPaymentView = pension.PensionPayment;

export interface CitizenSummaryReply {
  pin: PinResultView;
  /** With the card number as the terminal shows card numbers (masked at a kiosk). */
  summary: CitizenSummaryView | null;
}

/** The card account's balance (where the pension is paid) and the holder's pension: a bank counter's balance enquiry. */
export type PensionStatementView = pension.PensionStatement;

/** `POST /v1/card/pension-certification` (kiosk and bank terminals): the annual certification. */
export type PensionCertificationView =
  | {
      /** card-service recorded it. */
      status: 'certified';
      certifiedAt: string;
      /** The last day of the new cycle: certify again by then. */
      validUntil: string;
      /** The journal key: what an operator looks up in the service's audit log. */
      reference: string;
    }
  | {
      /** The service did not answer; the journalled request is re-sent with the same key. */
      status: 'queued';
      reference: string;
    };

export interface PensionCertificationReply {
  pin: PinResultView;
  certification: PensionCertificationView | null;
}
