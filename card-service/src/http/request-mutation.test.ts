/**
 * Schema-mutated requests over every route of the service: generated paths (path parameters that
 * are plain, Unicode, oversize, or carry malformed and non-UTF-8 `%` escapes), query strings,
 * bodies (JSON of any shape, text that is not JSON, odd content types and charsets) and callers
 * (anonymous and the operator). Whatever arrives, the service answers a 2xx or 4xx problem and
 * its log holds no error and no stack: a 5xx here is a request the service failed to refuse.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROUTES } from '@sscard/registry-protocol';
import fc from 'fast-check';
import { loadConfig } from '../config.js';
import { startTestHsm, type TestHsm } from '../testing/hsm-fixture.js';
import { createLogger } from '@sscard/log';
import { type RunningService, startService } from '../service.js';
import { testIssuerKeyset } from '../testing/api-fixture.js';

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Path parameter values: ordinary, hostile and malformed. */
const parameter = fc.oneof(
  fc.constantFrom('X00000019', '330300', '1', 'me', '..', '.', '%20', '%2F', '%2e%2e', '%00'),
  fc.constantFrom('%E0%A4%A', '%ED%A0%80', '%', '%zz', '%C0%AF', '%FF%FE', 'a%', '%E4%B8'),
  fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9%-]{1,40}$/),
  fc.constant('9'.repeat(600)),
);

const query = fc.option(
  fc
    .dictionary(
      fc.constantFrom('limit', 'cursor', 'from', 'to', 'region', 'status', 'x', '__proto__'),
      fc.oneof(fc.string({ maxLength: 8 }).map(encodeURIComponent), fc.constantFrom('%E0%A4%A', '-1', '1e9')),
      { maxKeys: 3 },
    )
    .map((q) =>
      Object.entries(q)
        .map(([k, v]) => `${k}=${v}`)
        .join('&'),
    ),
  { nil: undefined },
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ type: 'application/json', text: JSON.stringify(v) })),
  fc
    .dictionary(
      fc.constantFrom('idNumber', 'name', 'region', 'cardNumber', 'event', 'code', 'amount', 'items'),
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.integer(), { maxLength: 3 }),
      ),
    )
    .map((v) => ({ type: 'application/json', text: JSON.stringify(v) })),
  fc.string({ maxLength: 40 }).map((text) => ({ type: 'application/json', text })),
  fc.constantFrom(
    { type: 'application/json; charset=latin1', text: '{}' },
    { type: 'application/json; charset=utf-16', text: '{}' },
    { type: 'text/plain', text: 'hello' },
    { type: 'application/x-www-form-urlencoded', text: 'a=1&b=%E0%A4%A' },
    { type: 'application/json', text: '{"a":' },
    { type: 'application/json', text: '\u0000' },
  ),
);

describe('schema-mutated requests over every route', () => {
  let dir: string;
  let hsm: TestHsm;
  let service: RunningService;
  let adminToken: string;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-mutation-'));
    const { keyset } = testIssuerKeyset();
    hsm = await startTestHsm(dir, keyset);
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: dir,
        databaseUrl: join(dir, 'registry.db'),
        listen: { host: '127.0.0.1', port: 0 },
        logLevel: 'debug',
        rateLimit: { capacity: 100_000, refillPerSecond: 10_000 },
        hsm: { dir: hsm.dir },
      },
    });
    service = await startService(config, {
      log: createLogger({ level: 'debug', write: (line) => logged.push(JSON.parse(line)) }),
    });
    adminToken = service.adminToken!;
  });

  after(async () => {
    await service.close();
    await hsm.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function send(sent: Sent): Promise<{ status: number; text: string }> {
    const url = new URL(service.url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: sent.method,
          path: sent.path,
          ca: service.caCertPem,
          agent: false,
          headers: {
            ...sent.headers,
            ...(sent.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(sent.body)) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on('error', reject);
      req.end(sent.body);
    });
  }

  const requests = fc
    .record({
      route: fc.constantFrom(...ROUTES),
      params: fc.array(parameter, { minLength: 4, maxLength: 4 }),
      query,
      body,
      operator: fc.boolean(),
      wrongMethod: fc.boolean(),
    })
    .map(({ route, params, query, body, operator, wrongMethod }): Sent => {
      let i = 0;
      const path = route.path.replace(/:[A-Za-z]+/g, () => params[i++ % params.length]!);
      const headers: Record<string, string> = {};
      if (body) headers['content-type'] = body.type;
      if (operator) headers.authorization = `Bearer ${adminToken}`;
      const method = wrongMethod ? (route.method === 'get' ? 'POST' : 'GET') : route.method.toUpperCase();
      return { method, path: query ? `${path}?${query}` : path, headers, body: body?.text };
    });

  test('every answer is a 2xx or 4xx, and nothing unexpected reaches the log', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (sent) => {
        const before = logged.length;
        const answer = await send(sent);
        const unexpected = logged.slice(before).filter((r) => r.level === 'error' || 'stack' in r);
        assert.ok(answer.status < 500, `${sent.method} ${sent.path} → ${answer.status} ${answer.text}`);
        assert.deepEqual(unexpected, [], `${sent.method} ${sent.path} logged an error`);
        if (answer.status >= 400) {
          const problem = JSON.parse(answer.text) as { code?: unknown };
          assert.equal(typeof problem.code, 'string', `${sent.method} ${sent.path}: not a problem`);
        }
      }),
      { numRuns: 600 },
    );
  });

  test('the reported escapes in a path parameter are a 400 problem, not a 500', async () => {
    for (const path of ['/v1/cards/%E0%A4%A', '/v1/cards/%ED%A0%80', '/v1/holders/%ED%A0%80']) {
      const answer = await send({
        method: 'GET',
        path,
        headers: { authorization: `Bearer ${adminToken}` },
        body: undefined,
      });
      assert.equal(answer.status, 400, path);
      assert.equal(JSON.parse(answer.text).code, 'MALFORMED_PATH');
    }
  });
});
