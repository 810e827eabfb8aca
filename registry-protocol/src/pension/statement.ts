import { z } from 'zod';
import { contracts } from '../contracts.js';
import { cardNumber, cardPresentProof, isoDate } from '../fields.js';
import { PENSION_STATUSES, month, pensionPaymentSchema } from './entitlements.js';

/**
 * What a kiosk or bank terminal shows the holder of the card in its reader: the card account's
 * balance and the pension payments, for the holder's own card only (the card answers the
 * terminal's challenge after its PIN was verified).
 */
export const cardStatementBody = z
  .strictObject({ cardNumber, proof: cardPresentProof })
  .register(contracts, { id: 'PensionStatementRequest' });

export const pensionStatementSchema = z
  .strictObject({
    cardNumber: z.string(),
    /** The card (debit) account's balance in fen, where the pensions are paid. */
    cardAccountBalance: z.number().int(),
    pension: z
      .strictObject({
        monthlyAmount: z.number().int(),
        status: z.enum(PENSION_STATUSES),
        paidThrough: month.nullable(),
        certifiedUntil: isoDate,
        /** Pension use frozen (a death or imprisonment registered). */
        frozen: z.boolean(),
      })
      .nullable(),
    /** The latest payments, newest first (at most 24). */
    payments: z.array(pensionPaymentSchema),
  })
  .register(contracts, { id: 'PensionStatement' });
export type PensionStatement = z.output<typeof pensionStatementSchema>;
