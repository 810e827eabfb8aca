import assert from 'node:assert/strict';
import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { listAudit } from '../audit/audit-log.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';

/** This host's own non-loopback addresses: a peer connecting to them is not a loopback peer. */
function hostAddress(family: 'IPv4' | 'IPv6'): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (!a.internal && a.family === family && !a.address.startsWith('fe80')) return a.address;
    }
  }
  return undefined;
}

const IPV4 = hostAddress('IPv4');
const IPV6 = hostAddress('IPv6');

describe('callers counted by network: /metrics, failed identifications, IPv6 /64', () => {
  let t: TestService;
  let port = 0;
  const FAILURES = 3;

  before(async () => {
    t = await startTestService(
      '',
      await tempDir('sscard-peers-'),
      undefined,
      { capacity: 10_000, refillPerSecond: 1000, failureCapacity: FAILURES, failuresPerMinute: 1 },
      { listen: { host: '::', port: 0 } },
    );
    // Listening on every address, so that the test can reach it as a peer from this host's own.
    port = Number(new URL(t.service.url).port);
  });
  after(() => t.service.close());

  /** A request to this host at `host` (so the service sees that address as the peer's). */
  const call = (
    host: string,
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: string; headers: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const text = options.body === undefined ? undefined : JSON.stringify(options.body);
      const req = request(
        {
          host,
          port,
          path,
          method,
          ca: t.service.caCertPem,
          // The service's certificate names localhost; the point here is the peer address.
          checkServerIdentity: () => undefined,
          agent: false,
          headers: {
            ...(text ? { 'content-type': 'application/json' } : {}),
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            data += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
        },
      );
      req.on('error', reject);
      if (text) req.write(text);
      req.end();
    });

  const tokenWith = async (scopes: string[]): Promise<string> => {
    const made = await call('127.0.0.1', 'POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name: scopes.join(' '), scopes },
    });
    assert.equal(made.status, 201, made.body);
    return JSON.parse(made.body).token;
  };

  test('/metrics answers a loopback peer, and others only with a metrics:read (or admin) token', {
    skip: IPV4 ? false : 'no non-loopback IPv4 address on this host',
  }, async () => {
    assert.equal((await call('127.0.0.1', 'GET', '/metrics')).status, 200);
    assert.equal((await call('::1', 'GET', '/metrics')).status, 200);
    const remote = await call(IPV4!, 'GET', '/metrics');
    assert.equal(remote.status, 401, remote.body);
    assert.equal(JSON.parse(remote.body).code, 'TOKEN_REQUIRED');
    assert.equal(
      (await call(IPV4!, 'GET', '/metrics', { token: await tokenWith(['metrics:read']) })).status,
      200,
    );
    assert.equal((await call(IPV4!, 'GET', '/metrics', { token: t.adminToken })).status, 200);
    const reader = await call(IPV4!, 'GET', '/metrics', { token: await tokenWith(['registry:read']) });
    assert.equal(reader.status, 403);
  });

  test('failed identifications from a network are refused before any work once its budget is spent', {
    skip: IPV6 ? false : 'no non-loopback IPv6 address on this host',
  }, async () => {
    const good = await tokenWith(['registry:read']);
    const wrong = `${good.slice(0, -4)}AAAA`;
    for (let i = 0; i < FAILURES; i++) {
      const refused = await call(IPV6!, 'GET', '/v1/terminals', { token: wrong });
      assert.equal(JSON.parse(refused.body).code, 'TOKEN_INVALID');
    }
    const limited = await call(IPV6!, 'GET', '/v1/cards/A00000019', { token: good });
    assert.equal(limited.status, 429, limited.body);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // Another network is not held back by this one.
    assert.equal((await call('127.0.0.1', 'GET', '/v1/terminals', { token: t.adminToken })).status, 200);
  });

  test('anonymous failed enrolments leave a bounded number of audit entries', {
    skip: IPV4 ? false : 'no non-loopback IPv4 address on this host',
  }, async () => {
    const codes: string[] = [];
    for (let i = 0; i < FAILURES + 5; i++) {
      const answer = await call(IPV4!, 'POST', '/v1/enrol', {
        body: { code: `AAAAA-BBBBB-CCC${String(i).padStart(2, '0')}`, csr: 'not a csr' },
      });
      codes.push(`${answer.status}`);
    }
    assert.deepEqual(codes, [...Array(FAILURES).fill('403'), ...Array(5).fill('429')]);
    const refusals = (await listAudit(t.service.store, 0, 10_000)).filter(
      (e) => e.action === 'terminal.enrol' && e.result !== 'ok',
    );
    assert.equal(refusals.length, FAILURES);
  });
});
