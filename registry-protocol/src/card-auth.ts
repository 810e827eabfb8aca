import { z } from 'zod';
import { contracts } from './contracts.js';
import { cardIdCode, cardNumber, cipherBlock, hex, instant } from './fields.js';
import { route } from './route.js';
import { CARD_ALGORITHMS, TERMINAL_TYPES, type TerminalType } from './vocabulary.js';

/** A challenge for a card-present proof: the card answers it with INTERNAL AUTHENTICATE. */
export const challengeRequestSchema = z
  .strictObject({ cardIdCode })
  .register(contracts, { id: 'ChallengeRequest' });
export type ChallengeRequest = z.input<typeof challengeRequestSchema>;

export const challengeSchema = z
  .object({
    challengeId: z.string(),
    /** Hex, one cipher block of the card's algorithm (8 bytes 3DES, 16 bytes SM4). */
    challenge: cipherBlock,
    algorithm: z.enum(CARD_ALGORITHMS),
    expiresAt: instant,
  })
  .register(contracts, { id: 'Challenge' });
export type Challenge = z.output<typeof challengeSchema>;

/** The card's INTERNAL AUTHENTICATE answer over a challenge, for terminals without a PSAM. */
export const cardAuthRequestSchema = z
  .strictObject({ challengeId: z.uuid(), cardIdCode, cryptogram: cipherBlock })
  .register(contracts, { id: 'CardAuthRequest' });
export type CardAuthRequest = z.input<typeof cardAuthRequestSchema>;

/** `reason` is one of `PROOF_REFUSALS` (identity.ts), parsed as any string for forward compatibility. */
export const cardAuthVerdictSchema = z
  .union([
    z.object({ verified: z.literal(true), cardNumber }),
    z.object({ verified: z.literal(false), reason: z.string() }),
  ])
  .register(contracts, { id: 'CardAuthVerdict' });
export type CardAuthVerdict = z.output<typeof cardAuthVerdictSchema>;

/** The card's GET CHALLENGE value (8 bytes), for the EXTERNAL AUTHENTICATE cryptogram. */
export const externalAuthRequestSchema = z
  .strictObject({ cardIdCode, challenge: hex([16]) })
  .register(contracts, { id: 'ExternalAuthRequest' });
export type ExternalAuthRequest = z.input<typeof externalAuthRequestSchema>;

export const externalAuthAnswerSchema = z
  .object({
    /** What the terminal sends in EXTERNAL AUTHENTICATE (one cipher block, hex). */
    cryptogram: cipherBlock,
    algorithm: z.enum(CARD_ALGORITHMS),
  })
  .register(contracts, { id: 'ExternalAuthAnswer' });
export type ExternalAuthAnswer = z.output<typeof externalAuthAnswerSchema>;

/**
 * The bureau HSM's answer to the first step of a two-step ministry call (`iReadCardBas_HSM_Step1`,
 * `iReloadPIN_HSM_Step1`, `iUnblockPIN_HSM_Step1`): the step's output as the terminal's agent gave
 * it (card-core `formatHsmStep1`).
 */
export const hsmStepRequestSchema = z
  .strictObject({ step1: z.string().min(1).max(300) })
  .register(contracts, { id: 'HsmStepRequest' });
export type HsmStepRequest = z.input<typeof hsmStepRequestSchema>;

/** Why the HSM gave no answer for a card: `CARD_UNKNOWN`, `ALGORITHM_MISMATCH`, `CRYPTOGRAM_INVALID`. */
export const HSM_STEP_REFUSALS = ['CARD_UNKNOWN', 'ALGORITHM_MISMATCH', 'CRYPTOGRAM_INVALID'] as const;
export type HsmStepRefusal = (typeof HSM_STEP_REFUSALS)[number];

/**
 * `pKey` for the second step, `"<internal>|<external>|"` (card-core `formatHsmKey`): given only
 * when the card's INTERNAL AUTHENTICATE answer in the first step is its issuer's.
 */
export const hsmStepAnswerSchema = z
  .union([
    z.object({ verified: z.literal(true), pKey: z.string() }),
    z.object({ verified: z.literal(false), reason: z.string() }),
  ])
  .register(contracts, { id: 'HsmStepAnswer' });
export type HsmStepAnswer = z.output<typeof hsmStepAnswerSchema>;

export const PIN_MANAGEMENT_OPERATIONS = ['reload', 'unblock'] as const;
export type PinManagementOperation = (typeof PIN_MANAGEMENT_OPERATIONS)[number];

/**
 * Where a card's PIN is reloaded or unblocked: at a bureau counter, with a clerk's authorisation
 * (pin-authorisations.ts; the lifecycle's `resetPin` actors). A bank counter serves the card's
 * money, not its PIN.
 */
export const PIN_MANAGEMENT_TERMINALS = ['bureau'] as const satisfies readonly TerminalType[];

/** The PIN command the HSM is to MAC, with the first step's output and the clerk's authorisation it spends. */
export const hsmPinStepRequestSchema = z
  .strictObject({
    operation: z.enum(PIN_MANAGEMENT_OPERATIONS),
    step1: z.string().min(1).max(300),
    authorisationId: z.uuid(),
  })
  .register(contracts, { id: 'HsmPinStepRequest' });
export type HsmPinStepRequest = z.input<typeof hsmPinStepRequestSchema>;

export const cardAuthRoutes = [
  route({
    operationId: 'createChallenge',
    method: 'post',
    path: '/v1/challenges',
    summary: 'A single-use challenge for a card-present proof (INTERNAL AUTHENTICATE)',
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    body: challengeRequestSchema,
    responses: { 201: { description: 'the challenge and its expiry', body: challengeSchema } },
  }),
  route({
    operationId: 'verifyCardAuthentication',
    method: 'post',
    path: '/v1/card-auth/verify',
    summary: "Verify a card's INTERNAL AUTHENTICATE answer over a challenge (terminals without a PSAM)",
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    body: cardAuthRequestSchema,
    responses: {
      200: {
        description: '{verified: true, cardNumber} or {verified: false, reason}',
        body: cardAuthVerdictSchema,
      },
    },
  }),
  route({
    operationId: 'computeExternalAuthentication',
    method: 'post',
    path: '/v1/card-auth/external',
    summary:
      "The EXTERNAL AUTHENTICATE cryptogram over a card's challenge, so that a gen 3 card releases its holder data (terminals without a PSAM)",
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    body: externalAuthRequestSchema,
    responses: {
      200: {
        description: 'cryptogram (hex, one cipher block) and the algorithm the card was issued with',
        body: externalAuthAnswerSchema,
      },
    },
  }),
  route({
    operationId: 'answerHsmReadStep',
    method: 'post',
    path: '/v1/card-auth/hsm-read',
    summary:
      'The second-step key of iReadCardBas_HSM_Step1: the card verified by its internal authentication, and the EXTERNAL AUTHENTICATE cryptogram (terminals without a PSAM)',
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    body: hsmStepRequestSchema,
    responses: {
      200: {
        description: '{verified: true, pKey} or {verified: false, reason}',
        body: hsmStepAnswerSchema,
      },
    },
  }),
  route({
    operationId: 'answerHsmPinStep',
    method: 'post',
    path: '/v1/card-auth/hsm-pin',
    summary:
      "The second-step key of iReloadPIN_HSM_Step1 / iUnblockPIN_HSM_Step1: the card verified, and the MAC of its RELOAD PIN (to the initial PIN) or PIN UNBLOCK command; bureau counters only, spending a clerk's authorisation for the card, audited",
    tag: 'terminal',
    access: { terminals: PIN_MANAGEMENT_TERMINALS },
    body: hsmPinStepRequestSchema,
    responses: {
      200: {
        description: '{verified: true, pKey} or {verified: false, reason}',
        body: hsmStepAnswerSchema,
      },
    },
  }),
] as const;
