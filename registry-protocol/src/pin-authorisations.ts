import { z } from 'zod';
import { PIN_MANAGEMENT_OPERATIONS, PIN_MANAGEMENT_TERMINALS } from './card-auth.js';
import { contracts } from './contracts.js';
import { cardIdCode, cardNumber, cardPresentProof, idNumber, instant } from './fields.js';
import { route } from './route.js';

/**
 * A card's PIN reload or unblock is done at a bureau counter only, and only once a clerk has
 * authorised that one operation for that card (docs/card-conventions.md, "PIN reload and
 * unblock"): the clerk's operator token with the `pin:authorise` scope, the citizen's ID number
 * from the identity document they show, which must be the card holder's, and the card itself in
 * the counter's reader, proved by a fresh challenge. The authorisation is the counter's, for one
 * card and one operation, lapses after a few minutes and is spent by its first use — the HSM's MAC
 * (`answerHsmPinStep`) or, where the counter's PSAM makes the MAC, the counter's redemption.
 */

/** Why an authorisation was refused or could not be used. */
export const PIN_AUTHORISATION_REFUSALS = [
  /** The clerk's token lacks `pin:authorise` (or is no operator token: TOKEN_INVALID and kin). */
  'CLERK_NOT_ALLOWED',
  /** The ID number the clerk typed from the citizen's document is not the card holder's. */
  'HOLDER_MISMATCH',
  /** No such authorisation for this counter. */
  'AUTHORISATION_UNKNOWN',
  'AUTHORISATION_EXPIRED',
  'AUTHORISATION_USED',
  /** The authorisation is for another card or the other operation. */
  'AUTHORISATION_MISMATCH',
] as const;
export type PinAuthorisationRefusal = (typeof PIN_AUTHORISATION_REFUSALS)[number];

/** An operator token as the clerk gives it at the counter: `sst_<id>_<secret>`. */
const clerkToken = z.string().min(1).max(200);

export const clerkSignInRequestSchema = z
  .strictObject({ clerkToken })
  .register(contracts, { id: 'ClerkSignInRequest' });
export type ClerkSignInRequest = z.input<typeof clerkSignInRequestSchema>;

/** The clerk as the counter shows them: the token's id (what the audit names) and its name. */
export const clerkSchema = z
  .object({ operatorId: z.string(), name: z.string() })
  .register(contracts, { id: 'Clerk' });
export type Clerk = z.output<typeof clerkSchema>;

export const pinAuthorisationRequestSchema = z
  .strictObject({
    clerkToken,
    operation: z.enum(PIN_MANAGEMENT_OPERATIONS),
    cardNumber,
    cardIdCode,
    /** From the citizen's resident identity card, as the clerk read it. */
    holderIdNumber: idNumber,
    /** The card's answer to a challenge of this service: the card is in the counter's reader. */
    proof: cardPresentProof,
  })
  .register(contracts, { id: 'PinAuthorisationRequest' });
export type PinAuthorisationRequest = z.input<typeof pinAuthorisationRequestSchema>;

export const pinAuthorisationSchema = z
  .object({
    authorisationId: z.uuid(),
    operation: z.enum(PIN_MANAGEMENT_OPERATIONS),
    cardNumber,
    clerk: clerkSchema,
    expiresAt: instant,
  })
  .register(contracts, { id: 'PinAuthorisation' });
export type PinAuthorisation = z.output<typeof pinAuthorisationSchema>;

/** The counter's PSAM is about to MAC the command: the authorisation is spent for this card. */
export const pinRedemptionRequestSchema = z
  .strictObject({ operation: z.enum(PIN_MANAGEMENT_OPERATIONS), cardNumber })
  .register(contracts, { id: 'PinRedemptionRequest' });
export type PinRedemptionRequest = z.input<typeof pinRedemptionRequestSchema>;

export const pinRedemptionSchema = z
  .object({ authorisationId: z.uuid(), redeemedAt: instant })
  .register(contracts, { id: 'PinRedemption' });
export type PinRedemption = z.output<typeof pinRedemptionSchema>;

export const pinAuthorisationRoutes = [
  route({
    operationId: 'signInCounterClerk',
    method: 'post',
    path: '/v1/pin-authorisations/clerk',
    summary:
      'A clerk signs in at a bureau counter: their operator token is checked for the pin:authorise scope (audited); the counter keeps it only while they serve',
    tag: 'terminal',
    access: { terminals: PIN_MANAGEMENT_TERMINALS },
    body: clerkSignInRequestSchema,
    responses: { 200: { description: 'the clerk', body: clerkSchema } },
  }),
  route({
    operationId: 'authorisePinManagement',
    method: 'post',
    path: '/v1/pin-authorisations',
    summary:
      "A clerk authorises one PIN reload or unblock for the card in the counter's reader, after checking the citizen's identity document; single use, short-lived, audited",
    tag: 'terminal',
    access: { terminals: PIN_MANAGEMENT_TERMINALS },
    body: pinAuthorisationRequestSchema,
    responses: { 201: { description: 'the authorisation and its expiry', body: pinAuthorisationSchema } },
  }),
  route({
    operationId: 'redeemPinAuthorisation',
    method: 'post',
    path: '/v1/pin-authorisations/:authorisationId/redeem',
    summary:
      "Spends an authorisation before the counter's PSAM makes the PIN command's MAC (the HSM's MAC spends it itself); audited",
    tag: 'terminal',
    access: { terminals: PIN_MANAGEMENT_TERMINALS },
    body: pinRedemptionRequestSchema,
    responses: { 200: { description: 'the authorisation spent', body: pinRedemptionSchema } },
  }),
] as const;
