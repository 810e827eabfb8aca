/**
 * The local API's security and protocols, over real HTTP and WebSocket connections. The card side
 * behind the API is its `AgentActions` interface answering with a recorded result (the iReadCardBas
 * example of DESIGN.md §6); the same API against the real reader stack is in test/src/api-*.test.ts.
 */
import { type Reply, callOver, openWebSocket, send as sendTo } from '../testing/api-client.js';
import { NotABankTerminal } from '../testing/counter-actions.js';
import {
  RECORDED_BAS,
  RecordedReaders,
  recordedMinistry,
  recordedTerminal,
} from '../testing/recorded-card.js';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { WebSocket } from 'ws';
import { createLogger } from '@sscard/log';
import { ReaderError } from '../readers/errors.js';
import type { ReaderState } from '../readers/reader-manager.js';
import type { AgentActions } from './agent-actions.js';
import {
  type CardReadView,
  type LostCardReportView,
  type PinResultView,
  pinResultView,
} from './card-view.js';
import type { MinistryBackend } from './ministry.js';
import { PinFlow } from './pin-flow.js';
import { ApiProblem } from './problem.js';
import { ApiServer } from './server.js';

const TOKEN = 'k1Zq3rY0mXJ8c2v5VtqP1d9fH7LwSeB4uNoA6gKyTzE';
const HIS = 'https://his.example.org';

class RecordedActions extends NotABankTerminal implements AgentActions {
  readonly ministry: MinistryBackend = recordedMinistry();

  async readCard(): Promise<CardReadView> {
    throw new ReaderError('NoCard', 'no card in any reader');
  }
  async verifyPin(): Promise<PinResultView> {
    return pinResultView({ operation: 'verify', code: -51, triesLeft: 2 });
  }
  async changePin(): Promise<PinResultView> {
    throw new TypeError('a programming error with a secret stack');
  }
  async reportLost(): Promise<LostCardReportView> {
    throw new ApiProblem(403, 'PIN_NOT_VERIFIED', 'verify the PIN first');
  }
}

let server: ApiServer;
let port: number;
let uiDir: string;

function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return sendTo({ address: '127.0.0.1', port }, method, path, headers, body);
}

const auth = { authorization: `Bearer ${TOKEN}` };

function openSocket(path: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return openWebSocket(`ws://127.0.0.1:${port}${path}`, headers);
}

before(async () => {
  uiDir = await tempDir('sscard-ui-');
  await mkdir(uiDir, { recursive: true });
  await writeFile(join(uiDir, 'index.html'), '<!doctype html><title>kiosk</title>');
  server = new ApiServer({
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [HIS],
    allowedHosts: [],
    token: TOKEN,
    terminal: recordedTerminal,
    uiDir,
    readers: new RecordedReaders(),
    actions: new RecordedActions(),
    pin: new PinFlow({ pad: undefined, minLength: 6, maxLength: 6, timeoutMs: 30_000 }),
    log: createLogger({ level: 'error', write: () => {} }),
  });
  port = (await server.listen()).port;
});

after(async () => {
  await server.close();
});

describe('local API access control', () => {
  it('answers /healthz without a token', async () => {
    const reply = await send('GET', '/healthz');
    assert.equal(reply.status, 200);
    assert.equal(reply.json().status, 'ok');
  });

  it('serves the kiosk UI files without a token', async () => {
    const reply = await send('GET', '/');
    assert.equal(reply.status, 200);
    assert.match(reply.body, /kiosk/);
  });

  it('refuses an API call with no token and no browser origin (401)', async () => {
    const reply = await send('GET', '/v1/readers');
    assert.equal(reply.status, 401);
    assert.equal(reply.json().code, 'TOKEN_REQUIRED');
    assert.match(String(reply.headers['www-authenticate']), /^Bearer/);
  });

  it('refuses a wrong token (401)', async () => {
    const reply = await send('GET', '/v1/readers', { authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
    assert.equal(reply.status, 401);
    assert.equal(reply.json().code, 'TOKEN_INVALID');
  });

  it('answers a client with the token', async () => {
    const reply = await send('GET', '/v1/readers', auth);
    assert.equal(reply.status, 200);
    assert.equal((reply.json().readers as ReaderState[])[0]?.name, 'Virtual PCD 00 00');
  });

  it('refuses a foreign origin with 403 even when it has the token', async () => {
    const reply = await send('GET', '/v1/readers', { ...auth, origin: 'https://evil.example' });
    assert.equal(reply.status, 403);
    assert.equal(reply.json().code, 'ORIGIN_NOT_ALLOWED');
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
  });

  it('refuses a Host that does not name the agent (DNS rebinding) with 403', async () => {
    const reply = await send('GET', '/v1/readers', { ...auth, host: `rebind.evil.example:${port}` });
    assert.equal(reply.status, 403);
    assert.equal(reply.json().code, 'HOST_NOT_ALLOWED');
  });

  it("accepts the agent's own origin without a token (the kiosk UI)", async () => {
    const reply = await send('GET', '/v1/readers', { origin: `http://127.0.0.1:${port}` });
    assert.equal(reply.status, 200);
  });

  it('accepts a same-origin GET that carries no Origin header', async () => {
    const reply = await send('GET', '/v1/readers', { 'sec-fetch-site': 'same-origin' });
    assert.equal(reply.status, 200);
  });

  it('gives CORS headers to a configured origin only, and answers its private-network preflight', async () => {
    const preflight = await send('OPTIONS', '/ministry/iReadCardBas', {
      origin: HIS,
      'access-control-request-method': 'POST',
      'access-control-request-private-network': 'true',
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], HIS);
    assert.equal(preflight.headers['access-control-allow-private-network'], 'true');
    const foreign = await send('OPTIONS', '/ministry/iReadCardBas', { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
  });

  it('exposes Prometheus metrics to token holders', async () => {
    const reply = await send('GET', '/metrics', auth);
    assert.equal(reply.status, 200);
    assert.match(
      reply.body,
      /sscard_agent_access_denied_total\{transport="http",reason="ORIGIN_NOT_ALLOWED"\}/,
    );
  });
});

describe('local API errors', () => {
  it('answers a reader failure with a JSON problem and the matching status', async () => {
    const reply = await send('POST', '/v1/card/read', { ...auth, 'content-type': 'application/json' }, '{}');
    assert.equal(reply.status, 409);
    assert.deepEqual(reply.json(), { code: 'NoCard', message: 'no card in any reader', details: {} });
  });

  it('answers a programming error with a bare 500 and no stack', async () => {
    const reply = await send('POST', '/v1/card/pin/change', auth);
    assert.equal(reply.status, 500);
    assert.equal(reply.json().code, 'INTERNAL');
    assert.doesNotMatch(reply.body, /secret stack|at .*\.js/);
  });

  it('answers a body that is not JSON with 400', async () => {
    const reply = await send('POST', '/v1/card/read', { ...auth, 'content-type': 'application/json' }, '{');
    assert.equal(reply.status, 400);
    assert.equal(reply.json().code, 'BAD_REQUEST');
  });

  it('refuses a lost-card report that names the card number instead of reading it (400)', async () => {
    const reply = await send(
      'POST',
      '/v1/card/report-lost',
      { ...auth, 'content-type': 'application/json' },
      '{"cardNumber":"X00000019"}',
    );
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.json().details, { fields: ['cardNumber'] });
  });

  // Each body is read by its schema in agent-protocol: a field it refuses is named in the problem.
  for (const [path, body, field] of [
    ['/v1/card/read', '{"reader":7}', 'reader'],
    ['/v1/card/read', '{"reader":""}', 'reader'],
    ['/v1/card/report-lost', '{"reader":["a"]}', 'reader'],
    ['/v1/registry/enrol', '{"code":"   "}', 'code'],
    ['/v1/registry/enrol', '{}', 'code'],
    ['/v1/outbox/unpark', '{"idempotencyKey":12}', 'idempotencyKey'],
    ['/v1/card/read', '[1]', ''],
  ] as const) {
    it(`refuses ${path} with ${body} (400, naming ${field ? `"${field}"` : 'the body'})`, async () => {
      const reply = await send('POST', path, { ...auth, 'content-type': 'application/json' }, body);
      assert.equal(reply.status, 400);
      assert.equal(reply.json().code, 'BAD_REQUEST');
      assert.deepEqual(reply.json().details, { field });
      if (field) assert.match(String(reply.json().message), new RegExp(`^"${field}": `));
    });
  }

  it('refuses enrolment from a browser page even of an allowed origin (403)', async () => {
    const reply = await send(
      'POST',
      '/v1/registry/enrol',
      { origin: HIS, 'content-type': 'application/json' },
      '{"code":"AAAAA-BBBBB-CCCCC"}',
    );
    assert.equal(reply.status, 403);
    assert.equal(reply.json().code, 'TOKEN_CLIENT_ONLY');
  });

  it('answers an unknown API path with a 404 problem', async () => {
    const reply = await send('GET', '/v1/nothing', auth);
    assert.equal(reply.status, 404);
    assert.equal(reply.json().code, 'NOT_FOUND');
  });
});

describe('ministry interface over HTTP', () => {
  it('returns the iReadCardBas output for GET ?iType=3 from an allowed HIS page', async () => {
    const reply = await send('GET', '/ministry/iReadCardBas?iType=3', { origin: HIS });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['access-control-allow-origin'], HIS);
    assert.deepEqual(reply.json(), { functionName: 'iReadCardBas', success: 0, pOutInfo: RECORDED_BAS });
  });

  it('takes iType from a POSTed JSON body', async () => {
    const reply = await send(
      'POST',
      '/ministry/iReadCardBas',
      { ...auth, 'content-type': 'application/json' },
      '{"iType":1}',
    );
    assert.equal(reply.json().success, 0);
  });

  it('answers -14 for an iType outside 1–4', async () => {
    const reply = await send('GET', '/ministry/iReadCardBas?iType=9', auth);
    assert.deepEqual(reply.json(), { functionName: 'iReadCardBas', success: -14, pOutInfo: '' });
  });

  it('answers -14 for a body that is not JSON', async () => {
    const reply = await send(
      'POST',
      '/ministry/iReadCardBas',
      { ...auth, 'content-type': 'application/json' },
      '{"iType":',
    );
    assert.equal(reply.json().success, -14);
  });

  it('answers -13 for a function it does not offer', async () => {
    const reply = await send('GET', '/ministry/iWriteCard?iType=1', auth);
    assert.deepEqual(reply.json(), { functionName: 'iWriteCard', success: -13, pOutInfo: '' });
  });
});

describe('ministry interface over WebSocket', () => {
  it('refuses a foreign origin with 403', async () => {
    assert.equal(await openSocket('/ws/ministry', { origin: 'https://evil.example' }), 403);
  });

  it('refuses a client with neither an allowed origin nor the token (401)', async () => {
    assert.equal(await openSocket('/ws/ministry', {}), 401);
  });

  it('answers iReadCardBas, -13 and -14 in the vendor JSON format', async () => {
    const ws = await openSocket('/ws/ministry', { origin: HIS });
    assert.ok(ws instanceof WebSocket);
    try {
      assert.deepEqual(await callOver(ws, '{"function":"iReadCardBas","iType":3}'), {
        functionName: 'iReadCardBas',
        success: 0,
        pOutInfo: RECORDED_BAS,
      });
      assert.deepEqual(await callOver(ws, '{"function":"iReadCardBas","iType":"3","id":7}'), {
        functionName: 'iReadCardBas',
        success: 0,
        pOutInfo: RECORDED_BAS,
        id: 7,
      });
      assert.equal((await callOver(ws, '{"function":"iReadCardBas","iType":0}')).success, -14);
      assert.equal((await callOver(ws, '{"function":"iReadCardBas"}')).success, -14);
      assert.equal((await callOver(ws, 'iReadCardBas(3)')).success, -14);
      assert.equal((await callOver(ws, Buffer.from([1, 2, 3]))).success, -14);
      assert.deepEqual(await callOver(ws, '{"function":"iReadCardInfo","iType":3}'), {
        functionName: 'iReadCardInfo',
        success: -13,
        pOutInfo: '',
      });
      assert.deepEqual(await callOver(ws, '{"function":"iVerifyPIN","iType":1}'), {
        functionName: 'iVerifyPIN',
        success: -51,
        pOutInfo: '',
      });
    } finally {
      ws.close();
    }
  });

  it('accepts a non-browser client with the bearer token', async () => {
    const ws = await openSocket('/ws/ministry', auth);
    assert.ok(ws instanceof WebSocket);
    assert.equal((await callOver(ws, '{"function":"iReadCardBas","iType":3}')).success, 0);
    ws.close();
  });
});

describe('socket.io access control', () => {
  it('refuses a WebSocket upgrade from a foreign origin with 403', async () => {
    assert.equal(
      await openSocket('/socket.io/?EIO=4&transport=websocket', { origin: 'https://evil.example' }),
      403,
    );
  });

  it('refuses a polling handshake from a foreign origin with 403', async () => {
    const reply = await send('GET', '/socket.io/?EIO=4&transport=polling', {
      origin: 'https://evil.example',
    });
    assert.equal(reply.status, 403);
  });

  it('refuses a WebSocket upgrade whose Host does not name the agent with 403', async () => {
    assert.equal(await openSocket('/socket.io/?EIO=4&transport=websocket', { host: 'evil.example' }), 403);
  });
});
