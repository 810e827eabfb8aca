import { z } from 'zod';
import { contracts } from '../contracts.js';
import { cardNumber, instant } from '../fields.js';

/**
 * Pension collection at a bank counter: the debit application's online authorisation. The bank
 * terminal sends the card's ARQC with the data it was computed over; the service has the HSM
 * verify it with the issuer's application-cryptogram key, refuses a counter the card has used
 * before, decides (approve, or decline with the reason's code), debits the card account on the
 * ledger when it approves, and answers the ARPC for the card. The card's TC completes the
 * withdrawal; its AAC, a card pulled before it or a lost answer makes the terminal reverse it.
 */

export const WITHDRAWAL_REFUSALS = [
  /** No card is registered for this PAN and PSN: the bank's account of the card is unknown. */
  'DEBIT_ACCOUNT_UNKNOWN',
  /** The PAN, or the card, is registered with another card, or PAN. */
  'DEBIT_ACCOUNT_CONFLICT',
  /** The cryptogram data does not match the request (amount, currency, transaction type) or is malformed. */
  'WITHDRAWAL_DATA_INVALID',
  /** The HSM did not verify the ARQC: nothing moved and the counter is not spent. */
  'ARQC_INVALID',
  /** The card has already used this application transaction counter, or a higher one. */
  'ATC_REPLAYED',
  /** The account changed between the decision and its commit: send the same request again. */
  'WITHDRAWAL_STATE_CHANGED',
  /** The terminal reversed this key before any authorisation of it arrived. */
  'WITHDRAWAL_VOIDED',
  /** A completion that contradicts the withdrawal's outcome already recorded (a TC after a reversal). */
  'WITHDRAWAL_ALREADY_ENDED',
] as const;

const pan = z.string().regex(/^[0-9]{16,19}$/, '16 to 19 digits');
const psn = z.string().regex(/^[0-9]{2}$/, 'two digits');
const hexOf = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as hex`);

/** The bank's account of a card: its debit application's PAN and sequence number. */
export const debitAccountBody = z
  .strictObject({ cardNumber, pan, psn })
  .register(contracts, { id: 'DebitAccountRequest' });

export const debitAccountSchema = z
  .strictObject({
    cardNumber: z.string(),
    /** The PAN masked to its last four digits. */
    pan: z.string(),
    psn: z.string(),
    registeredAt: instant,
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'DebitAccount' });

/** Authorisation response codes (8A) the service answers with, as their two characters. */
export const AUTHORISATION_RESPONSE_CODES = {
  approved: '00',
  insufficientFunds: '51',
  /** The card is not active, or the holder's pension use is frozen. */
  restrictedCard: '62',
} as const;

export const withdrawalBody = z
  .strictObject({
    pan,
    psn,
    /** The amount to hand out in fen; the cryptogram's amount authorised (9F02) must say the same. */
    amount: z.number().int().min(1).max(999_999_999_999),
    /**
     * The CDOL1 data sent with GENERATE AC, in PBOC order: 9F02 amount authorised, 9F03 amount
     * other, 9F1A terminal country, 95 TVR, 5F2A currency, 9A date, 9C transaction type (01 cash),
     * 9F37 unpredictable number — 29 bytes.
     */
    cdol1: hexOf(29),
    /** Application interchange profile (82) from GET PROCESSING OPTIONS. */
    aip: hexOf(2),
    /** Application transaction counter (9F36) from GENERATE AC. */
    atc: hexOf(2),
    /** Issuer application data (9F10) from GENERATE AC: the CVR and the cryptogram algorithm. */
    iad: z.string().regex(/^([0-9A-Fa-f]{2}){8,32}$/, '8 to 32 bytes as hex'),
    /** The application cryptogram (9F26) the card answered, an ARQC. */
    arqc: hexOf(8),
  })
  .register(contracts, { id: 'WithdrawalRequest' });

export const withdrawalAnswerSchema = z
  .strictObject({
    withdrawalId: z.string(),
    approved: z.boolean(),
    /** The authorisation response code, two characters: '00' approved, '51' insufficient funds, '62' restricted card. */
    arc: z.string().length(2),
    /** The ARPC for the card (EXTERNAL AUTHENTICATE or the second GENERATE AC), over the ARC. */
    arpc: z.string(),
    amount: z.number().int(),
    /** The card account's balance in fen after this authorisation. */
    balance: z.number().int(),
    authorisedAt: instant,
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'WithdrawalAuthorisation' });

export const WITHDRAWAL_OUTCOMES = ['tc', 'aac', 'reversal'] as const;
export const REVERSAL_REASONS = ['card_removed', 'timeout', 'terminal_error', 'cancelled'] as const;

export const withdrawalCompletionBody = z
  .strictObject({
    /** The Idempotency-Key the authorisation was sent with (the terminal's journal sequence). */
    authorisationKey: z.string().min(1).max(100),
    /** `tc`: the card accepted; `aac`: the card declined after the ARPC; `reversal`: the terminal undoes it. */
    outcome: z.enum(WITHDRAWAL_OUTCOMES),
    reason: z.enum(REVERSAL_REASONS).optional(),
    /** The card's second cryptogram (TC or AAC), recorded with the outcome. */
    cryptogram: hexOf(8).optional(),
  })
  .register(contracts, { id: 'WithdrawalCompletion' });

export const WITHDRAWAL_STATUSES = ['approved', 'declined', 'completed', 'reversed', 'voided'] as const;

export const withdrawalCompletionAnswerSchema = z
  .strictObject({
    /** Null when the terminal reversed a key no authorisation arrived with (it is voided). */
    withdrawalId: z.string().nullable(),
    status: z.enum(WITHDRAWAL_STATUSES),
    /** The ledger transaction that gave the money back, when this withdrawal was reversed. */
    reversalTxnId: z.string().nullable(),
    completedAt: instant,
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'WithdrawalCompletionAnswer' });

export type DebitAccount = z.infer<typeof debitAccountSchema>;
export type WithdrawalBody = z.infer<typeof withdrawalBody>;
export type WithdrawalAnswer = z.infer<typeof withdrawalAnswerSchema>;
export type WithdrawalCompletionBody = z.infer<typeof withdrawalCompletionBody>;
export type WithdrawalCompletionAnswer = z.infer<typeof withdrawalCompletionAnswerSchema>;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];
