import { z } from 'zod';
import { contracts } from './contracts.js';
import { route } from './route.js';
import { SCOPES } from './vocabulary.js';

export const operatorTokenRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    scopes: z.array(z.enum(SCOPES)).min(1),
  })
  .register(contracts, { id: 'OperatorTokenRequest' });
export type OperatorTokenRequest = z.input<typeof operatorTokenRequestSchema>;

export const operatorSchema = z
  .object({ tokenId: z.string(), name: z.string(), scopes: z.array(z.enum(SCOPES)) })
  .register(contracts, { id: 'Operator' });

export const operatorTokenSchema = z
  .object({
    /** `sst_<id>_<secret>`: shown once, only its hash is stored. */
    token: z.string(),
    operator: operatorSchema,
  })
  .register(contracts, { id: 'OperatorToken' });

export const operatorRoutes = [
  route({
    operationId: 'createOperatorToken',
    method: 'post',
    path: '/v1/operator-tokens',
    summary: 'Create an operator API token with scopes (shown once)',
    tag: 'operator',
    access: { scope: 'admin' },
    body: operatorTokenRequestSchema,
    responses: {
      201: { description: 'the token (shown once) and its id and scopes', body: operatorTokenSchema },
    },
  }),
] as const;
