import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { openapiPath } from '@sscard/registry-protocol';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('API document and operations endpoints', () => {
  let dir: string;
  let t: TestService;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-openapi-'));
    t = await startTestService(join(dir, 'registry.db'), dir);
  });
  after(async () => {
    await t.service.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('every registered route is documented and every documented route is registered', async () => {
    const doc = await t.call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.match(doc.body.openapi, /^3\./);
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const router = (t.service.app as unknown as { router: { stack: Layer[] } }).router;
    const registered = new Set<string>();
    for (const layer of router.stack) {
      if (!layer.route) continue;
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all')
          registered.add(`${method.toUpperCase()} ${openapiPath(layer.route.path)}`);
      }
    }
    assert.ok(registered.size >= 20);
    assert.deepEqual([...registered].sort(), [...documented].sort());
  });

  test('documented request bodies carry their schemas', async () => {
    const doc = await t.call('GET', '/openapi.json');
    const check = doc.body.paths['/v1/identity/check'].post;
    const ref: string = check.requestBody.content['application/json'].schema.$ref;
    assert.equal(ref, '#/components/schemas/IdentityCheckRequest');
    const schema = doc.body.components.schemas.IdentityCheckRequest;
    assert.deepEqual(schema.required.sort(), ['cardIdCode', 'cardNumber', 'name', 'ssn']);
    assert.equal(check.operationId, 'checkIdentity');
    assert.deepEqual(check['x-terminal-types'], ['kiosk', 'hospital', 'pharmacy', 'bank', 'bureau']);
  });

  test('healthz answers and metrics count requests by route and status', async () => {
    const health = await t.call('GET', '/healthz');
    assert.deepEqual([health.status, health.body.status, health.body.store], [200, 'ok', 'sqlite']);
    await t.call('GET', '/v1/nowhere');
    const metrics = await t.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.body,
      /sscard_service_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/,
    );
    assert.match(metrics.body, /route="unmatched",status="404"/);
  });

  test('the CA key and the admin token are written readable by the owner only', async () => {
    for (const file of [
      join(dir, 'ca', 'ca-key.pem'),
      join(dir, 'ca', 'server-key.pem'),
      join(dir, 'admin-token'),
    ]) {
      assert.equal((await stat(file)).mode & 0o777, 0o600, file);
    }
  });

  test('an unknown route is a JSON problem', async () => {
    const answer = await t.call('POST', '/v1/nowhere', { body: {} });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.code, 'ROUTE_NOT_FOUND');
  });
});
