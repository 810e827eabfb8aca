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
  /** The debit account has no bank PIN (no PIN verification value): the issuer sets one first. */
  'BANK_PIN_NOT_SET',
  /** The card's second cryptogram (TC or AAC) did not verify, or is not the kind the outcome says. */
  'CRYPTOGRAM_INVALID',
] as const;

/** Wrong bank PINs in a row after which the account's PIN is blocked, until the issuer sets a new one. */
export const BANK_PIN_TRIES = 3;

const pan = z.string().regex(/^[0-9]{16,19}$/, '16 to 19 digits');
const psn = z.string().regex(/^[0-9]{2}$/, 'two digits');
const hexOf = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as hex`);

/**
 * A bank PIN as the issuer's systems pass it on: an ISO 9564 format 0 PIN block for the account,
 * enciphered under the zone PIN key. The service has its HSM make the PIN verification value of
 * it and keeps only that.
 */
const zonePinBlock = hexOf(8);

/**
 * The bank's account of a card: its debit application's PAN and sequence number, and the bank PIN
 * chosen at issuance. An account registered without one refuses withdrawals until a PIN is set.
 */
export const debitAccountBody = z
  .strictObject({ cardNumber, pan, psn, pinBlock: zonePinBlock.optional() })
  .register(contracts, { id: 'DebitAccountRequest' });

/** A new bank PIN for a debit account (a forgotten or blocked one): the wrong tries start again. */
export const debitAccountPinBody = z
  .strictObject({ pan, pinBlock: zonePinBlock })
  .register(contracts, { id: 'DebitAccountPinRequest' });

export const debitAccountSchema = z
  .strictObject({
    cardNumber: z.string(),
    /** The PAN masked to its last four digits. */
    pan: z.string(),
    psn: z.string(),
    registeredAt: instant,
    /** Whether a bank PIN is set; withdrawals need one. */
    pinSet: z.boolean(),
    /** Wrong bank PINs still allowed before the PIN is blocked. */
    pinTriesLeft: z.number().int().min(0),
    replayed: z.boolean().optional(),
  })
  .register(contracts, { id: 'DebitAccount' });

/** Authorisation response codes (8A) the service answers with, as their two characters. */
export const AUTHORISATION_RESPONSE_CODES = {
  approved: '00',
  insufficientFunds: '51',
  /** The card is not active, or the holder's pension use is frozen. */
  restrictedCard: '62',
  /** The bank PIN did not verify; tries are left. */
  incorrectPin: '55',
  /** The bank PIN is blocked: this wrong PIN was the last try allowed, or it was blocked before. */
  pinTriesExceeded: '75',
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
    /** The format of `pinBlock`: ISO 9564 format 0 (3DES) or 4 (AES). */
    pinFormat: z.union([z.literal(0), z.literal(4)]),
    /**
     * The bank PIN as the counter's PIN pad enciphered it, under the terminal PIN key of the
     * terminal the certificate names, for this PAN: 8 bytes (format 0) or 16 (format 4).
     */
    pinBlock: z.string().regex(/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/, '8 or 16 bytes as hex'),
  })
  .register(contracts, { id: 'WithdrawalRequest' });

export const withdrawalAnswerSchema = z
  .strictObject({
    withdrawalId: z.string(),
    approved: z.boolean(),
    /**
     * The authorisation response code, two characters: '00' approved, '51' insufficient funds,
     * '55' incorrect bank PIN, '62' restricted card, '75' bank PIN tries exceeded.
     */
    arc: z.string().length(2),
    /** The ARPC for the card (EXTERNAL AUTHENTICATE or the second GENERATE AC), over the ARC. */
    arpc: z.string(),
    amount: z.number().int(),
    /** The card account's balance in fen after this authorisation. */
    balance: z.number().int(),
    authorisedAt: instant,
    /** Wrong bank PINs still allowed after this authorisation (0: blocked). */
    pinTriesLeft: z.number().int().min(0),
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
    /**
     * The card's second cryptogram (9F26 of the second GENERATE AC: its TC or AAC); required with
     * `tc` and `aac`, when the HSM verifies it with the card's key like the ARQC.
     */
    cryptogram: hexOf(8).optional(),
    /** The issuer application data (9F10) of the second GENERATE AC, whose CVR the cryptogram covers. */
    iad: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}){8,32}$/, '8 to 32 bytes as hex')
      .optional(),
  })
  .refine((b) => b.outcome === 'reversal' || (b.cryptogram !== undefined && b.iad !== undefined), {
    message: 'a TC or AAC comes with its cryptogram and issuer application data',
    path: ['cryptogram'],
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
export type DebitAccountBody = z.infer<typeof debitAccountBody>;
export type DebitAccountPinBody = z.infer<typeof debitAccountPinBody>;
export type WithdrawalBody = z.infer<typeof withdrawalBody>;
export type WithdrawalAnswer = z.infer<typeof withdrawalAnswerSchema>;
export type WithdrawalCompletionBody = z.infer<typeof withdrawalCompletionBody>;
export type WithdrawalCompletionAnswer = z.infer<typeof withdrawalCompletionAnswerSchema>;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];
