import { fields } from '@sscard/registry-protocol';
import { z } from 'zod';

/**
 * The zod schemas of the local REST API's request bodies: the agent validates every body with
 * these, and their types (`rest.ts`) are inferred from them, so the two cannot drift apart. This
 * module is the package's `schemas` entry point, apart from the rest, so that a browser bundle of
 * the types and named values carries no zod.
 */

const readerName = z.string().min(1, 'a reader name');

/** Names the reader to use; without it, the one reader holding a card. */
export const readerRequest = z.object({ reader: readerName.optional() });

/**
 * A lost-card report names at most its reader: the card number is read from the card, so a body
 * that names one (or anything else) is refused rather than ignored.
 */
export const reportLostRequest = z.strictObject(
  { reader: readerName.optional() },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'only "reader" may be given; the card number is read from the card'
        : undefined,
  },
);

/**
 * The citizen's services on the card in the reader (summary, statement, certification) name at most the
 * reader, like a loss report: the card number is the card's.
 */
export const cardServiceRequest = reportLostRequest;

/** A one-time enrolment code from a registry operator (surrounding blanks are not part of it). */
export const enrolRequest = z.object({ code: z.string().trim().min(1, 'the enrolment code') });

/** Puts a parked request back into the resend passes, once its cause is fixed. */
export const unparkRequest = z.object({ idempotencyKey: z.string().min(1, 'the key of a parked request') });

/** A first step's output for the bureau's HSM, with the function that gave it. */
export const hsmStepRequest = z.strictObject({
  function: z.enum([
    'iReadCardBas_HSM_Step1',
    'iReadCard_HSM_Step1',
    'iReloadPIN_HSM_Step1',
    'iUnblockPIN_HSM_Step1',
  ]),
  step1: z.string().min(1, "the first step's output").max(300),
});

/** A bank PIN at the counter: the ISO 9564 format the PIN pad enciphers its block in (default 0). */
export const bankPinBlockRequest = z.strictObject({
  reader: readerName.optional(),
  format: z.union([z.literal(0), z.literal(4)]).default(0),
});

/**
 * A cash withdrawal from the card account at a bank counter: the amount in fen, and the format the
 * PIN pad enciphers the bank PIN in (ISO 9564 format 0 unless the pad holds a format 4 key).
 */
export const bankWithdrawalRequest = z.strictObject({
  reader: readerName.optional(),
  amount: z.number().int().min(1).max(999_999_999_999),
  pinFormat: z.union([z.literal(0), z.literal(4)]).default(0),
});

export const bankBalanceRequest = z.strictObject({
  reader: readerName.optional(),
  pinFormat: z.union([z.literal(0), z.literal(4)]).default(0),
});

/** The clerk's operator token, as they give it at the counter (the agent keeps it for no longer than the call). */
const clerkToken = z.string().min(1, "the clerk's operator token").max(200);

const pinOperation = z.enum(['reload', 'unblock']);

/** A clerk signing in at a bureau counter. */
export const clerkSignInRequest = z.strictObject({ clerkToken });

/**
 * A clerk's authorisation of one PIN reload or unblock for the card in the reader: the card number
 * is read from the card; the ID number is the one on the identity document the citizen shows.
 */
export const pinAuthorisationRequest = z.strictObject({
  reader: readerName.optional(),
  operation: pinOperation,
  clerkToken,
  /** As typed at the counter: trimmed and upper-cased, then held to the service's ID number format. */
  holderIdNumber: z.string().trim().toUpperCase().pipe(fields.idNumber),
});

/** The authorised PIN reload or unblock on the card in the reader (the PSAM's MAC, or the HSM's). */
export const pinManagementRequest = z.strictObject({
  reader: readerName.optional(),
  operation: pinOperation,
});

/** The body schema of each REST route that takes one, by its name in `AGENT_API_PATHS`. */
export const AGENT_REQUEST_BODIES = {
  readCard: readerRequest,
  reportLost: reportLostRequest,
  enrol: enrolRequest,
  outboxUnpark: unparkRequest,
  ministryHsmStep: hsmStepRequest,
  bankPinBlock: bankPinBlockRequest,
  bankWithdrawal: bankWithdrawalRequest,
  bankBalance: bankBalanceRequest,
  citizenSummary: cardServiceRequest,
  pensionCertification: cardServiceRequest,
  bureauClerk: clerkSignInRequest,
  pinAuthorisation: pinAuthorisationRequest,
  pinManagement: pinManagementRequest,
} as const;
