import { z } from 'zod';
import { contracts } from './contracts.js';
import { instant } from './fields.js';
import { route } from './route.js';
import { SCOPES } from './vocabulary.js';

/**
 * Operator API tokens. A token is `sst_<id>_<secret>`; the service keeps only a hash of the secret.
 * Every token has an expiry (the service's `operatorTokens.lifetimeDays` unless the request asks
 * for fewer or more days, up to `operatorTokens.maxLifetimeDays`). Rotation gives a token a new
 * secret and a new expiry under the same id; the earlier secret stays good for an overlap (the
 * service's `operatorTokens.rotationOverlapSeconds` unless the request says otherwise, 0 = at
 * once), so that a client can be switched over without a gap. Revocation ends both secrets.
 */

/** Days a token lives; the service bounds it by its configured maximum. */
const lifetimeDays = z.number().int().min(1).max(3650);

export const operatorTokenRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1),
    lifetimeDays: lifetimeDays.optional(),
  })
  .register(contracts, { id: 'OperatorTokenRequest' });
export type OperatorTokenRequest = z.input<typeof operatorTokenRequestSchema>;

export const operatorTokenRotationSchema = z
  .strictObject({
    lifetimeDays: lifetimeDays.optional(),
    /** How long the secret being replaced stays good; 0 ends it at once. */
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86400)
      .optional(),
  })
  .register(contracts, { id: 'OperatorTokenRotation' });
export type OperatorTokenRotation = z.input<typeof operatorTokenRotationSchema>;

export const OPERATOR_TOKEN_STATUSES = ['active', 'expired', 'revoked'] as const;
export type OperatorTokenStatus = (typeof OPERATOR_TOKEN_STATUSES)[number];

export const operatorSchema = z
  .object({
    tokenId: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: instant,
    /** The current secret is refused from this instant on (401 TOKEN_EXPIRED). */
    expiresAt: instant,
    /** The last rotation, if any. */
    rotatedAt: instant.nullable(),
    /** Until when the secret replaced by the last rotation is still accepted; null when it is not. */
    previousSecretValidUntil: instant.nullable(),
    revokedAt: instant.nullable(),
    status: z.enum(OPERATOR_TOKEN_STATUSES),
  })
  .register(contracts, { id: 'Operator' });
export type OperatorRecord = z.output<typeof operatorSchema>;

export const operatorTokenSchema = z
  .object({
    /** `sst_<id>_<secret>`: shown once, only its hash is stored. */
    token: z.string(),
    operator: operatorSchema,
  })
  .register(contracts, { id: 'OperatorToken' });

export const operatorTokenListSchema = z
  .object({ tokens: z.array(operatorSchema) })
  .register(contracts, { id: 'OperatorTokenList' });

export const operatorRoutes = [
  route({
    operationId: 'createOperatorToken',
    method: 'post',
    path: '/v1/operator-tokens',
    summary: 'Create an operator API token with scopes and an expiry (the token is shown once)',
    tag: 'operator',
    access: { scope: 'admin' },
    body: operatorTokenRequestSchema,
    responses: {
      201: { description: 'the token (shown once), its id, scopes and expiry', body: operatorTokenSchema },
    },
  }),
  route({
    operationId: 'listOperatorTokens',
    method: 'get',
    path: '/v1/operator-tokens',
    summary: 'List operator tokens with their scopes, expiry and status (never a secret)',
    tag: 'operator',
    access: { scope: 'admin' },
    responses: { 200: { description: 'every token, oldest first', body: operatorTokenListSchema } },
  }),
  route({
    operationId: 'revokeOperatorToken',
    method: 'post',
    path: '/v1/operator-tokens/:tokenId/revoke',
    summary:
      "Revoke an operator token: its secrets (a rotation's earlier one too) are refused from the next request",
    tag: 'operator',
    access: { scope: 'admin' },
    responses: { 200: { description: 'the revoked token', body: operatorSchema } },
  }),
  route({
    operationId: 'rotateOperatorToken',
    method: 'post',
    path: '/v1/operator-tokens/:tokenId/rotate',
    summary: 'Give an operator token a new secret and expiry; the earlier secret stays good for the overlap',
    tag: 'operator',
    access: { scope: 'admin' },
    body: operatorTokenRotationSchema,
    responses: {
      201: { description: 'the new token (shown once) and the record', body: operatorTokenSchema },
      409: { description: 'the token is revoked (TOKEN_REVOKED)' },
    },
  }),
  route({
    operationId: 'getCallingOperator',
    method: 'get',
    path: '/v1/operator',
    summary:
      'The calling operator: its token id, name, scopes and expiry (any scope), so a client shows only what the scopes allow',
    tag: 'operator',
    access: { anyOperator: true },
    responses: { 200: { description: 'the calling token (never a secret)', body: operatorSchema } },
  }),
  route({
    operationId: 'rotateCallingOperatorToken',
    method: 'post',
    path: '/v1/operator-token/rotate',
    summary: "Rotate the calling operator's own token before it expires (any scope)",
    tag: 'operator',
    access: { anyOperator: true },
    body: operatorTokenRotationSchema,
    responses: {
      201: { description: 'the new token (shown once) and the record', body: operatorTokenSchema },
    },
  }),
] as const;
