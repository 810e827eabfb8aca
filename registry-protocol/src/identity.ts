import { z } from 'zod';
import { contracts } from './contracts.js';
import { cardIdCode, cardNumber, cardPresentProof, holderName, instant, region, ssn } from './fields.js';
import { route } from './route.js';
import { CARD_STATUSES, RELATION_STATUSES, TERMINAL_TYPES } from './vocabulary.js';

/** Why a card-present proof was refused: the challenge or the cryptogram, never the card's data. */
export const PROOF_REFUSALS = [
  'CARD_UNKNOWN',
  'CHALLENGE_UNKNOWN',
  'CHALLENGE_USED',
  'CHALLENGE_EXPIRED',
  'CHALLENGE_OTHER_CARD',
  /** Issued with a quote and presented for anything but that quote's settle, or the other way round. */
  'CHALLENGE_OTHER_QUOTE',
  'CRYPTOGRAM_INVALID',
] as const;
export type ProofRefusal = (typeof PROOF_REFUSALS)[number];

/** Why an identity check did not find the card valid: one code, which the terminal shows. */
export const IDENTITY_REFUSALS = [
  'CARD_UNKNOWN',
  'CARD_DATA_MISMATCH',
  'HOLDER_MISMATCH',
  'CARD_NOT_ACTIVATED',
  'CARD_TEMPORARILY_LOST',
  'CARD_LOST',
  'CARD_REPLACED',
  'CARD_CANCELLED',
  'CARD_EXPIRED',
  'COVERAGE_MISSING',
  'COVERAGE_PAUSED',
  'COVERAGE_OTHER_REGION',
  ...PROOF_REFUSALS.map((r) => `PROOF_${r}` as const),
] as const;
export type IdentityRefusal = (typeof IDENTITY_REFUSALS)[number];

/**
 * Kinds of scheme a terminal may ask about without knowing the holder's exact scheme: `medical`
 * is 310 (employee) or 390 (resident) basic medical insurance, `pension` 110 (employee) or 120
 * (urban and rural resident) pension.
 */
export const SCHEME_KINDS = ['medical', 'pension'] as const;
export type SchemeKind = (typeof SCHEME_KINDS)[number];

/**
 * The coverage a check asks about: a scheme code or kind, in an insured region (the calling
 * terminal's own when absent). Missing, paused or only elsewhere is refused with `COVERAGE_*`.
 */
export const schemeAskedSchema = z.strictObject({
  scheme: z.union([z.enum(SCHEME_KINDS), z.string().regex(/^[0-9]{3}$/, 'a three-digit scheme code')]),
  region: region.optional(),
});
export type SchemeAsked = z.output<typeof schemeAskedSchema>;

/** The card a terminal has just read, as it read it, with a card-present proof when it has one. */
export const identityCheckRequestSchema = z
  .strictObject({
    cardIdCode,
    cardNumber,
    ssn,
    name: holderName,
    proof: cardPresentProof.optional(),
    /** Also judge the holder's coverage in this scheme. */
    forScheme: schemeAskedSchema.optional(),
  })
  .register(contracts, { id: 'IdentityCheckRequest' });
export type IdentityCheckRequest = z.input<typeof identityCheckRequestSchema>;

export const identityCardSchema = z.object({
  cardNumber: z.string(),
  status: z.enum(CARD_STATUSES),
  specVersion: z.string(),
  issuingRegion: z.string(),
  expiryDate: z.string(),
  temporary: z.boolean(),
});

/** The holder as the terminal's type may see it: the ID number always masked, the name for kiosks too. */
export const identityHolderSchema = z.object({
  name: z.string(),
  idNumber: z.string(),
  gender: z.string(),
  region: z.string(),
});

export const coverageSchema = z.object({
  schemeCode: z.string(),
  schemeName: z.string().nullable(),
  insuredRegion: z.string(),
  status: z.enum(RELATION_STATUSES),
  startDate: z.string(),
  pauseDate: z.string().nullable(),
});

/**
 * The verdict. Objects are not strict, so the service can add fields without breaking terminals
 * already deployed; `reason` is parsed as any string for the same reason (see `IDENTITY_REFUSALS`).
 */
export const identityCheckResultSchema = z
  .object({
    valid: z.boolean(),
    /** The refusal when not valid: one of `IDENTITY_REFUSALS`. */
    reason: z.string().optional(),
    checkedAt: instant,
    /** True when a card-present proof came with the request and verified. */
    cardPresent: z.boolean(),
    card: identityCardSchema.optional(),
    holder: identityHolderSchema.optional(),
    coverage: z.array(coverageSchema).optional(),
  })
  .register(contracts, { id: 'IdentityCheckResult' });

/** What the service answers with: `reason` is one of its refusals. */
export type IdentityCheckResult = Omit<z.output<typeof identityCheckResultSchema>, 'reason'> & {
  reason?: IdentityRefusal;
};

export const identityRoutes = [
  route({
    operationId: 'checkIdentity',
    method: 'post',
    path: '/v1/identity/check',
    summary: 'Check a card just read: genuine, valid now, whose, what coverage',
    tag: 'terminal',
    access: { terminals: TERMINAL_TYPES },
    body: identityCheckRequestSchema,
    responses: {
      200: {
        description: 'the verdict: valid, or a refusal reason, with holder and coverage when valid',
        body: identityCheckResultSchema,
      },
    },
  }),
] as const;
