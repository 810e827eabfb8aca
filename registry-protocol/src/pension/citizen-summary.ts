import { z } from 'zod';
import { contracts } from '../contracts.js';
import { cardNumber, cardPresentProof, instant, isoDate } from '../fields.js';
import { month, PENSION_STATUSES, pensionPaymentSchema } from './entitlements.js';

/**
 * What a kiosk shows the holder of the card in its reader after the card answered the terminal's
 * challenge with its PIN verified: their pension and their medical personal account. One proof,
 * one answer, so that the citizen types the PIN once for all of it.
 */
export const citizenSummaryBody = z
  .strictObject({ cardNumber, proof: cardPresentProof })
  .register(contracts, { id: 'CitizenSummaryRequest' });

/** One month of the holder's medical settlements (cancelled and reversed ones left out). */
export const settlementMonthSchema = z.strictObject({
  month,
  settlements: z.number().int().min(0),
  /** Total medical costs in fen (medfee_sumamt). */
  total: z.number().int(),
  /** Paid from the personal account in fen (acct_pay). */
  accountPaid: z.number().int(),
});

export const citizenSettlementSchema = z.strictObject({
  settledAt: instant,
  /** The day in the institution's calendar. */
  businessDate: isoDate,
  institution: z.string(),
  total: z.number().int(),
  /** The pooled and large-expense funds together (hifp_pay + hifmi_pay). */
  fundPaid: z.number().int(),
  accountPaid: z.number().int(),
  cashPaid: z.number().int(),
  status: z.enum(['settled', 'cancelled', 'reversed']),
});
export type CitizenSettlement = z.output<typeof citizenSettlementSchema>;

export const citizenSummarySchema = z
  .strictObject({
    cardNumber: z.string(),
    /** When the summary was made: the statement's date. */
    asOf: instant,
    pension: z
      .strictObject({
        monthlyAmount: z.number().int(),
        status: z.enum(PENSION_STATUSES),
        paidThrough: month.nullable(),
        /** The last day of the current certification cycle: certify again by then. */
        certifiedUntil: isoDate,
        frozen: z.boolean(),
        /** Paid by this calendar year's runs, in fen. */
        yearTotal: z.number().int(),
        /** The latest payments, newest first (at most 24). */
        payments: z.array(pensionPaymentSchema),
      })
      .nullable(),
    medical: z.strictObject({
      /** The personal medical account's balance in fen. */
      balance: z.number().int(),
      /** The last 12 months, oldest first, this month last; months without settlements are zero. */
      months: z.array(settlementMonthSchema),
      /** The latest settlements, newest first (at most 10). */
      recent: z.array(citizenSettlementSchema),
    }),
  })
  .register(contracts, { id: 'CitizenSummary' });
export type CitizenSummary = z.output<typeof citizenSummarySchema>;
