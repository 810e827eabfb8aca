import { z } from 'zod';
import { contracts } from './contracts.js';
import { instant } from './fields.js';
import { route } from './route.js';

export const healthSchema = z
  .object({ status: z.literal('ok'), store: z.enum(['sqlite', 'postgres']), time: instant })
  .register(contracts, { id: 'Health' });
export type Health = z.output<typeof healthSchema>;

/** An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0). */
export const openapiDocumentSchema = z
  .object({
    openapi: z.string(),
    info: z.object({
      title: z.string(),
      version: z.string(),
      description: z.string().optional(),
      license: z.object({ name: z.string(), identifier: z.string().optional() }).optional(),
    }),
    servers: z.array(z.object({ url: z.string(), description: z.string().optional() })).optional(),
    tags: z.array(z.object({ name: z.string(), description: z.string().optional() })).optional(),
    paths: z.record(z.string(), z.record(z.string(), z.unknown())),
    components: z.record(z.string(), z.unknown()).optional(),
  })
  .register(contracts, { id: 'OpenapiDocument' });
export type OpenapiDocument = z.output<typeof openapiDocumentSchema> & Record<string, unknown>;

export const opsRoutes = [
  route({
    operationId: 'getHealth',
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and store reachability',
    tag: 'ops',
    access: { public: true },
    responses: {
      200: { description: 'the service and its store answer', body: healthSchema },
      503: { description: 'the store does not answer' },
    },
  }),
  route({
    operationId: 'getMetrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (an operator token with metrics:read, or a peer on the same host)',
    tag: 'ops',
    access: { scope: 'metrics:read', loopback: true },
    responses: {
      200: { description: 'metrics in the Prometheus text format', contentType: 'text/plain; version=0.0.4' },
    },
  }),
  route({
    operationId: 'getOpenapi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3 document',
    tag: 'ops',
    access: { public: true },
    responses: { 200: { description: 'the OpenAPI document', body: openapiDocumentSchema } },
  }),
] as const;
