import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { before, test } from 'node:test';
import { RegistryClient } from './client.js';
import { isRegistryError } from './errors.js';
import { OutboxJournal } from './journal.js';
import { type TestPki, createTestPki, startScriptedServer } from '../testing/pki-fixture.js';
import { join } from 'node:path';
import { tempDir } from '@sscard/test-harness';

let pki: TestPki;
before(() => {
  pki = createTestPki('T-TEST-1');
});

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function withServer(route: Route, fn: (client: RegistryClient, calls: string[]) => Promise<void>) {
  const calls: string[] = [];
  const server = await startScriptedServer(pki, (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls.push(`${req.method} ${req.url} ${req.headers['idempotency-key'] ?? ''}`.trim());
      route(req, res, body);
    });
  });
  const client = new RegistryClient({
    serviceUrl: server.url,
    credentials: pki.terminal,
    timeoutMs: 2_000,
    retryDelayMs: 1,
  });
  try {
    await fn(client, calls);
  } finally {
    client.close();
    await server.close();
  }
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const challenge = {
  challengeId: '5f0c1a9e-8f6e-4f55-9d8e-0c1d2e3f4a5b',
  challenge: '0011223344556677',
  algorithm: '3des',
  expiresAt: '2030-01-01T00:00:00.000Z',
};

test('reads the terminal identity from its certificate', () => {
  const client = new RegistryClient({ serviceUrl: 'https://127.0.0.1:1', credentials: pki.terminal });
  assert.equal(client.terminalId, 'T-TEST-1');
  assert.equal(client.identity.type, 'kiosk');
  assert.equal(client.identity.region, '330300');
  client.close();
});

test('retries a retryable call on 503 and gets the answer', async () => {
  let n = 0;
  await withServer(
    (_req, res) =>
      ++n < 3 ? json(res, 503, { code: 'STORE_UNAVAILABLE', message: 'busy' }) : json(res, 201, challenge),
    async (client, calls) => {
      const issued = await client.createChallenge('330300D1560000050123456789ABCDEF');
      assert.equal(issued.challengeId, challenge.challengeId);
      assert.equal(calls.length, 3);
    },
  );
});

test('does not retry the verification of a card answer, which spends the challenge', async () => {
  await withServer(
    (_req, res) => json(res, 503, { code: 'STORE_UNAVAILABLE', message: 'busy' }),
    async (client, calls) => {
      await assert.rejects(
        client.verifyCardAuth({ challengeId: challenge.challengeId, cardIdCode: 'X', cryptogram: '00' }),
        (e: unknown) => isRegistryError(e, 'REFUSED') && e.serviceCode === 'STORE_UNAVAILABLE',
      );
      assert.equal(calls.length, 1);
    },
  );
});

test('maps a JSON problem to REFUSED with the service code, and a revoked certificate to TERMINAL_REVOKED', async () => {
  await withServer(
    (req, res) =>
      req.url === '/v1/terminal'
        ? json(res, 401, {
            code: 'CLIENT_CERT_REVOKED',
            message: 'the client certificate is revoked or expired',
          })
        : json(res, 404, {
            code: 'NOT_FOUND',
            message: 'card not found',
            details: { reason: 'CARD_UNKNOWN' },
          }),
    async (client) => {
      await assert.rejects(client.terminal(), (e: unknown) => isRegistryError(e, 'TERMINAL_REVOKED'));
      await assert.rejects(client.createChallenge('330300D1560000050123456789ABCDEF'), (e: unknown) => {
        assert.ok(isRegistryError(e, 'REFUSED'));
        assert.equal(e.serviceCode, 'NOT_FOUND');
        assert.deepEqual(e.details?.problem, { reason: 'CARD_UNKNOWN' });
        return true;
      });
    },
  );
});

test('an answer that is not the documented shape is a protocol error, not a guess', async () => {
  await withServer(
    (req, res) => (req.url === '/v1/terminal' ? json(res, 200, { hello: 'world' }) : res.end('<html>')),
    async (client) => {
      await assert.rejects(client.terminal(), (e: unknown) => isRegistryError(e, 'REGISTRY_PROTOCOL'));
      await assert.rejects(client.createChallenge('330300D1560000050123456789ABCDEF'), (e: unknown) =>
        isRegistryError(e, 'REGISTRY_PROTOCOL'),
      );
    },
  );
});

test('a request that got no answer in time has an unknown outcome', async () => {
  await withServer(
    () => undefined, // accepts the request and never answers
    async (client) => {
      const journal = await OutboxJournal.open(join(await tempDir(), 'j.sqlite3'), {
        terminalId: 'T-TEST-1',
      });
      const entry = await journal.append({ operation: 'test', method: 'POST', path: '/v1/x', body: {} });
      await assert.rejects(client.deliver(entry), (e: unknown) => {
        assert.ok(isRegistryError(e, 'REGISTRY_UNREACHABLE'));
        assert.equal(e.outcomeUnknown, true);
        return true;
      });
      await journal.close();
    },
  );
});

test('a journalled request carries its idempotency key and is sent once', async () => {
  await withServer(
    (_req, res) => json(res, 503, { code: 'STORE_UNAVAILABLE', message: 'busy' }),
    async (client, calls) => {
      const journal = await OutboxJournal.open(join(await tempDir(), 'j.sqlite3'), {
        terminalId: 'T-TEST-1',
      });
      const entry = await journal.append({ operation: 'test', method: 'POST', path: '/v1/x', body: {} });
      const answer = await client.deliver(entry);
      assert.equal(answer.status, 503);
      assert.deepEqual(calls, [`POST /v1/x ${entry.idempotencyKey}`]);
      await journal.close();
    },
  );
});

test("a server the terminal's CA did not certify is not trusted", async () => {
  const other = createTestPki('T-OTHER');
  const server = await startScriptedServer(other, (_req, res) => json(res, 200, {}));
  const client = new RegistryClient({ serviceUrl: server.url, credentials: pki.terminal });
  try {
    await assert.rejects(client.terminal(), (e: unknown) => isRegistryError(e, 'REGISTRY_UNTRUSTED'));
  } finally {
    client.close();
    await server.close();
  }
});
