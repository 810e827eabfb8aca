import { z } from 'zod';
import { contracts } from '../contracts.js';
import { pensionStatementSchema } from './statement.js';
import { withdrawalBody } from './withdrawal.js';

/**
 * The refusals of a balance enquiry that are its own. The rest it shares, by their neutral names,
 * with a withdrawal (WITHDRAWAL_REFUSALS): `DEBIT_ACCOUNT_UNKNOWN`, `BANK_PIN_NOT_SET`,
 * `ARQC_INVALID`, `ATC_REPLAYED`, and the HSM's `PIN_BLOCK_INVALID`.
 */
export const BALANCE_ENQUIRY_REFUSALS = [
  /** The cryptogram data is not an enquiry's (amount 0, currency CNY, transaction type 31) or is malformed. */
  'BALANCE_ENQUIRY_DATA_INVALID',
  /** A new bank PIN was set, or the card's status changed, while the HSM checked: send the same request again. */
  'BALANCE_ENQUIRY_STATE_CHANGED',
] as const;

/**
 * A balance enquiry at a bank counter: the card account is the debit application's account, so
 * its holder proves themselves as for a withdrawal — the bank PIN typed on the counter's PIN pad
 * (enciphered there, verified by the HSM against the account's PIN verification value, wrong tries
 * counted) and the card's ARQC for an enquiry (amount 0, transaction type 31), one application
 * transaction counter spent. Approved ('00'), the answer carries the statement; a wrong PIN is
 * '55', a blocked one '75', a card not active '62'. Nothing moves; the ARPC goes back to the card.
 */
export const balanceEnquiryBody = withdrawalBody
  .omit({ amount: true })
  .register(contracts, { id: 'BalanceEnquiryRequest' });

export const balanceEnquiryAnswerSchema = z
  .strictObject({
    approved: z.boolean(),
    /** '00' approved, '55' incorrect bank PIN, '62' restricted card, '75' bank PIN tries exceeded. */
    arc: z.string().length(2),
    /** The ARPC for the card (EXTERNAL AUTHENTICATE), over the ARC. */
    arpc: z.string(),
    /** Wrong bank PINs still allowed after this enquiry (0: blocked). */
    pinTriesLeft: z.number().int().min(0),
    /** The card account's balance and the pension, when approved. */
    statement: pensionStatementSchema.nullable(),
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'BalanceEnquiryAnswer' });

export type BalanceEnquiryBody = z.infer<typeof balanceEnquiryBody>;
export type BalanceEnquiryAnswer = z.infer<typeof balanceEnquiryAnswerSchema>;
