import { z } from 'zod';
import { contracts } from '../contracts.js';
import { isoDate, terminalId } from '../fields.js';

/**
 * A bank's day of pension withdrawals reconciled against the service: the bank sends what its
 * counters paid out, by terminal and authorisation key (the journal key the withdrawal was
 * authorised with), and the service answers its own withdrawals of the day as the ledger has them
 * (what was debited, minus what was given back) and every difference between the two.
 */

const fen = z.number().int().min(0).max(999_999_999_999);

/**
 * The most withdrawals one reconciliation takes: a bank's whole day at its busiest (every counter
 * of a large city bank). A bank with more reconciles its day in parts by terminal (`terminalIds`):
 * each part is set against the service's withdrawals of those terminals only.
 */
export const MAX_BANK_DAY_RECORDS = 100_000;
/**
 * Room for one record in a request body: the longest terminal id (64) and authorisation key (100,
 * every character escaped) with the field names and the largest amount take 330 bytes compact;
 * the rest is room for indentation.
 */
const BANK_DAY_RECORD_BYTES = 512;
/**
 * The body limit of the reconciliation route, sized from the maximum above: the records, and
 * room for the date and up to 10,000 terminal ids. Every other route keeps the service's limit.
 */
export const WITHDRAWAL_RECONCILIATION_BODY_BYTES =
  MAX_BANK_DAY_RECORDS * BANK_DAY_RECORD_BYTES + 1024 * 1024;

/** One withdrawal as the bank's books have it. */
export const bankWithdrawalRecordSchema = z
  .strictObject({
    terminalId,
    authorisationKey: z.string().min(1).max(100),
    /** The cash handed out in fen: the amount when the card's TC completed it, 0 when declined or reversed. */
    paidOut: fen,
  })
  .register(contracts, { id: 'BankWithdrawalRecord' });

export const withdrawalReconciliationBody = z
  .strictObject({
    /** The business day, in China Standard Time, the withdrawals were authorised on (a reversal without one: ended on). */
    date: isoDate,
    /** The bank's counters; without it, every bank terminal's withdrawals of the day. */
    terminalIds: z.array(terminalId).min(1).max(10_000).optional(),
    withdrawals: z
      .array(bankWithdrawalRecordSchema)
      .max(
        MAX_BANK_DAY_RECORDS,
        `at most ${MAX_BANK_DAY_RECORDS} withdrawals a reconciliation; reconcile a larger day in parts by terminal (terminalIds)`,
      ),
  })
  .register(contracts, { id: 'WithdrawalReconciliationRequest' });

export const WITHDRAWAL_DIFFERENCE_KINDS = [
  /** The bank has it; the service has no withdrawal of that terminal and key on that day. */
  'missing_at_service',
  /** The ledger paid it out; the bank's day does not have it. */
  'missing_at_bank',
  /** Both have it, with another amount paid out. */
  'amount_differs',
  /** The bank lists the same terminal and key more than once. */
  'duplicate_at_bank',
  /** Authorised and never completed nor reversed at the service: the card's ending never came. */
  'open_at_service',
  /** The ledger's net for the withdrawal is not what its status says (the service's own check). */
  'ledger_inconsistent',
] as const;
export type WithdrawalDifferenceKind = (typeof WITHDRAWAL_DIFFERENCE_KINDS)[number];

export const withdrawalDifferenceSchema = z.strictObject({
  kind: z.enum(WITHDRAWAL_DIFFERENCE_KINDS),
  terminalId: z.string(),
  authorisationKey: z.string(),
  withdrawalId: z.string().nullable(),
  /** The service's status of the withdrawal, null when it has none. */
  serviceStatus: z.string().nullable(),
  /** What the bank says it paid out, null when the bank does not list it. */
  bankPaidOut: fen.nullable(),
  /** What the ledger paid out for it (debited minus given back), null when the service has none. */
  ledgerPaidOut: z.number().int().nullable(),
});

const sideTotals = z.strictObject({ count: z.number().int(), paidOut: z.number().int() });

export const withdrawalReconciliationSchema = z
  .strictObject({
    date: isoDate,
    terminalIds: z.array(z.string()).nullable(),
    bank: sideTotals,
    /** The service's withdrawals of the day and their paid-out total from the ledger. */
    service: sideTotals,
    /** Withdrawals both sides have, with the same amount and nothing else to say. */
    matched: z.number().int(),
    differences: z.array(withdrawalDifferenceSchema),
  })
  .register(contracts, { id: 'WithdrawalReconciliation' });

export type BankWithdrawalRecord = z.infer<typeof bankWithdrawalRecordSchema>;
export type WithdrawalReconciliationBody = z.infer<typeof withdrawalReconciliationBody>;
export type WithdrawalDifference = z.infer<typeof withdrawalDifferenceSchema>;
export type WithdrawalReconciliation = z.infer<typeof withdrawalReconciliationSchema>;
