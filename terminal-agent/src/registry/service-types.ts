import { z } from 'zod';

/**
 * The shapes card-service answers terminals with (its README and OpenAPI document), checked at
 * the boundary: an answer the agent does not understand is a protocol error, not a guess.
 * Objects are not strict, so the service can add fields without breaking deployed terminals.
 */

export const serviceTerminalSchema = z.object({
  terminalId: z.string(),
  type: z.string(),
  region: z.string(),
  status: z.string(),
});
export type ServiceTerminal = z.output<typeof serviceTerminalSchema>;

export interface IdentityCheckRequest {
  cardIdCode: string;
  cardNumber: string;
  ssn: string;
  name: string;
  proof?: { challengeId: string; cryptogram: string };
}

export const identityCheckResultSchema = z.object({
  valid: z.boolean(),
  /** The refusal reason (`CARD_TEMPORARILY_LOST`, `PROOF_CRYPTOGRAM_INVALID`, …) when not valid. */
  reason: z.string().optional(),
  checkedAt: z.string(),
  cardPresent: z.boolean(),
  card: z
    .object({
      cardNumber: z.string(),
      status: z.string(),
      specVersion: z.string(),
      issuingRegion: z.string(),
      expiryDate: z.string(),
      temporary: z.boolean(),
    })
    .optional(),
  holder: z
    .object({ name: z.string(), idNumber: z.string(), gender: z.string(), region: z.string() })
    .optional(),
  coverage: z
    .array(
      z.object({
        schemeCode: z.string(),
        schemeName: z.string().nullable(),
        insuredRegion: z.string(),
        status: z.string(),
        startDate: z.string(),
        pauseDate: z.string().nullable(),
      }),
    )
    .optional(),
});
export type IdentityCheckResult = z.output<typeof identityCheckResultSchema>;

export const serviceChallengeSchema = z.object({
  challengeId: z.string(),
  challenge: z.string().regex(/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/, 'one cipher block as hex expected'),
  algorithm: z.enum(['3des', 'sm4']),
  expiresAt: z.string(),
});
export type ServiceChallenge = z.output<typeof serviceChallengeSchema>;

export const cardAuthVerdictSchema = z.union([
  z.object({ verified: z.literal(true), cardNumber: z.string() }),
  z.object({ verified: z.literal(false), reason: z.string() }),
]);
export type CardAuthVerdict = z.output<typeof cardAuthVerdictSchema>;

export const externalAuthAnswerSchema = z.object({
  cryptogram: z.string().regex(/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/, 'one cipher block as hex expected'),
  algorithm: z.enum(['3des', 'sm4']),
});
export type ExternalAuthAnswer = z.output<typeof externalAuthAnswerSchema>;
