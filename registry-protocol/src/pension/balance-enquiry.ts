import { z } from 'zod';
import { contracts } from '../contracts.js';
import { pensionStatementSchema } from './statement.js';
import { withdrawalBody } from './withdrawal.js';

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
