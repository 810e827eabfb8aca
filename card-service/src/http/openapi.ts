import { z } from 'zod';
import type { RouteDef } from './routes.js';

/** `/v1/cards/:cardNumber` → `/v1/cards/{cardNumber}`. */
export const openapiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z]+)/g, '{$1}');

const problem = {
  type: 'object',
  required: ['code', 'message', 'details'],
  properties: {
    code: { type: 'string', description: 'stable machine-readable code, e.g. VALIDATION_FAILED' },
    message: { type: 'string' },
    details: { type: 'object' },
  },
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The OpenAPI 3 document of the routes, with request schemas taken from their zod schemas. */
export function buildOpenapi(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = openapiPath(r.path);
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = r.query
      ? Object.entries(
          (z.toJSONSchema(r.query, { io: 'input' }) as { properties?: Record<string, unknown> }).properties ??
            {},
        ).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
      : [];
    const security: Record<string, string[]>[] = [];
    if (r.access.terminals) security.push({ terminalCertificate: [] });
    if (r.access.scope) security.push({ operatorToken: [r.access.scope] });
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(r.responses)) {
      responses[status] = { description, content: { 'application/json': {} } };
    }
    responses['400'] = problemResponse('the request does not follow the schema');
    if (!r.access.public) {
      responses['401'] = problemResponse('no valid client certificate or operator token');
      responses['403'] = problemResponse('the caller may not use this route');
      responses['429'] = problemResponse('rate limit exceeded; see Retry-After');
    }
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input' }) } },
            },
          }
        : {}),
      security: r.access.public ? [] : security,
      'x-terminal-types': r.access.terminals ?? [],
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sscard card-service',
      version,
      description:
        'Central registry of social security cards: identity checks, card-present proof, lifecycle, terminal enrolment, audit.',
    },
    paths,
    components: {
      schemas: { Problem: problem },
      securitySchemes: {
        terminalCertificate: {
          type: 'mutualTLS',
          description: 'a terminal certificate issued by the service CA',
        },
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'an operator API token sst_<id>_<secret>',
        },
      },
    },
  };
}
