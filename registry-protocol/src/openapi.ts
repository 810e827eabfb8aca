import { z } from 'zod';
import { contracts } from './contracts.js';
import type { OpenapiDocument } from './ops.js';
import { problemSchema } from './problem.js';
import { ROUTE_TAGS, type RouteContract } from './route.js';

/** `/v1/cards/:cardNumber` → `/v1/cards/{cardNumber}`. */
export const openapiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z]+)/g, '{$1}');

export interface OpenapiOptions {
  version: string;
  /** Where the API is served; by default the address the document was fetched from. */
  servers?: readonly { url: string; description?: string }[];
}

type JsonSchema = Record<string, unknown>;
type Mode = 'input' | 'output';

const COMPONENT = '#/components/schemas/';

/** Every registered schema as JSON Schema, as a request (input) or an answer (output) reads it. */
function componentsFor(io: Mode): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(contracts, { io, uri: (id) => `${COMPONENT}${id}` }) as {
    schemas: Record<string, JsonSchema>;
  };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas;
}

function idOf(schema: z.ZodType, where: string): string {
  const id = contracts.get(schema)?.id;
  if (id === undefined) {
    throw new Error(
      `${where}: the schema is not registered in the contracts registry (register it with an id)`,
    );
  }
  return id;
}

/** The components a schema refers to directly. */
function refsIn(schema: unknown): string[] {
  const text = JSON.stringify(schema);
  return [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
}

/** The ids the roots are and refer to, directly or through others. */
function reachable(roots: Iterable<string>, schemas: Record<string, JsonSchema>): Set<string> {
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const ref of refsIn(schemas[id])) visit(ref);
  };
  for (const id of roots) visit(id);
  return seen;
}

const ref = (id: string) => ({ $ref: `${COMPONENT}${id}` });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

/**
 * The OpenAPI 3.1 document of `routes`. Each request and answer body is a named schema of the
 * contracts registry and appears once under `components/schemas`; a schema used both in requests
 * and in answers must read the same both ways (defaults and coercions differ), or the build fails.
 */
export function buildOpenapi(routes: readonly RouteContract[], options: OpenapiOptions): OpenapiDocument {
  const inputRoots = new Set<string>();
  const outputRoots = new Set<string>(['Problem']);
  idOf(problemSchema, 'Problem');
  const paths: Record<string, Record<string, unknown>> = {};
  const input = componentsFor('input');
  const output = componentsFor('output');

  for (const r of routes) {
    const where = `${r.method.toUpperCase()} ${r.path}`;
    const path = openapiPath(r.path);
    const params: unknown[] = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      // A query is its parameters, each described in place; only what they refer to is a component.
      const query = input[idOf(r.query, `${where} query`)] as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        params.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
        for (const id of refsIn(schema)) inputRoots.add(id);
      }
    }
    let requestBody: unknown;
    if (r.body) {
      const id = idOf(r.body, `${where} body`);
      inputRoots.add(id);
      requestBody = { required: true, content: { 'application/json': { schema: ref(id) } } };
    }
    const security: Record<string, string[]>[] = [];
    if (r.access.terminals) security.push({ terminalCertificate: [] });
    if (r.access.scope) security.push({ operatorToken: [r.access.scope] });
    else if (r.access.anyOperator) security.push({ operatorToken: [] });
    const responses: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(r.responses)) {
      if (Number(status) >= 400) {
        responses[status] = problemResponse(answer.description);
      } else if (answer.body) {
        const id = idOf(answer.body, `${where} answer ${status}`);
        outputRoots.add(id);
        responses[status] = {
          description: answer.description,
          content: { 'application/json': { schema: ref(id) } },
        };
      } else {
        responses[status] = {
          description: answer.description,
          content: { [answer.contentType ?? 'text/plain']: { schema: { type: 'string' } } },
        };
      }
    }
    responses['400'] = problemResponse('the request does not follow the schema');
    if (!r.access.public) {
      responses['401'] = problemResponse('no valid client certificate or operator token');
      responses['403'] = problemResponse('the caller may not use this route');
      responses['429'] = problemResponse('rate limit exceeded; see Retry-After');
    }
    paths[path] ??= {};
    paths[path][r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(requestBody ? { requestBody } : {}),
      security: r.access.public ? [] : security,
      'x-terminal-types': r.access.terminals ?? [],
      responses,
    };
  }

  const schemas: Record<string, JsonSchema> = {};
  const asOutput = reachable(outputRoots, output);
  for (const id of reachable(inputRoots, input)) {
    if (asOutput.has(id) && JSON.stringify(input[id]) !== JSON.stringify(output[id])) {
      throw new Error(`schema ${id} reads differently in requests and answers: give each its own schema`);
    }
    schemas[id] = input[id]!;
  }
  for (const id of asOutput) schemas[id] ??= output[id]!;

  return {
    openapi: '3.1.0',
    info: {
      title: 'sscard card-service',
      version: options.version,
      description:
        'Central registry of social security cards: identity checks, card-present proof, lifecycle, terminal enrolment, audit.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: options.servers
      ? [...options.servers]
      : [{ url: '/', description: 'the service that serves this document' }],
    tags: Object.entries(ROUTE_TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
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
