/**
 * The route table is the only way in: every route, in every spelling an attacker might try, gets
 * the access its line in `route-table.ts` names, over real HTTP and WebSocket connections. The
 * card side is a recorded `AgentActions` (as in server.test.ts).
 */
import type {
  BankBalanceView,
  BankPinBlockView,
  BankWithdrawalView,
  ClerkView,
  PinAuthorisationView,
  PinManagementView,
} from '@sscard/agent-protocol';
import { callOver, openWebSocket, send } from '../testing/api-client.js';
import { NotABankTerminal } from '../testing/counter-actions.js';
import {
  RECORDED_BAS,
  RecordedReaders,
  recordedMinistry,
  recordedTerminal,
} from '../testing/recorded-card.js';
import assert from 'node:assert/strict';
import type { OutboxEntryView } from '@sscard/agent-protocol';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { createLogger } from '@sscard/log';
import { AccessPolicy, isLoopbackAddress } from './access-policy.js';
import type { AgentActions } from './agent-actions.js';
import {
  type CardReadView,
  type LostCardReportView,
  type PinResultView,
  pinResultView,
} from './card-view.js';
import type { MinistryBackend } from './ministry.js';
import { PinFlow } from './pin-flow.js';
import { HTTP_ROUTES, WEBSOCKET_ENDPOINTS } from './route-table.js';
import { ApiServer } from './server.js';

const ID_NUMBER = '111111198101011110';
const TOKEN = 'Yh3nQ9v2LrX7sK0dWmB5tE1cJ8gA4fU6pZoViRyNqHs';
const HIS = 'https://his.example.org';
const PARKED: OutboxEntryView = {
  idempotencyKey: 'T-330300-0001:0000000007',
  operation: 'reportTemporaryLoss',
  method: 'POST',
  path: '/v1/cards/X00000019/events',
  createdAt: '2026-01-01T08:00:00.000Z',
  attempts: 5,
  lastAttemptAt: '2026-01-01T08:05:00.000Z',
  lastError: 'HTTP 500 INTERNAL',
  serverErrors: 5,
  parked: { at: '2026-01-01T08:05:00.000Z', reason: 'HTTP 500 INTERNAL, 5 times in a row' },
};

class RecordedActions extends NotABankTerminal implements AgentActions {
  readonly ministry: MinistryBackend = recordedMinistry();

  async readCard(): Promise<CardReadView> {
    return { readCardBas: RECORDED_BAS } as unknown as CardReadView;
  }
  async verifyPin(): Promise<PinResultView> {
    return pinResultView({ operation: 'verify', code: -51, triesLeft: 2 });
  }
  async changePin(): Promise<PinResultView> {
    return pinResultView({ operation: 'change', code: -51, triesLeft: 1 });
  }
  async reportLost(): Promise<LostCardReportView> {
    return { status: 'queued', cardNumber: 'X00000019', reference: 'T:0000000001' };
  }
  override async bankWithdrawal(): Promise<BankWithdrawalView> {
    return {
      status: 'completed',
      pan: '************0019',
      amount: 1,
      withdrawalId: null,
      arc: '00',
      pinTriesLeft: 3,
      balance: 0,
      authorisationKey: null,
    };
  }
  override async bankBalance(): Promise<BankBalanceView> {
    return { status: 'declined', pan: '************0019', arc: '55', pinTriesLeft: 2, statement: null };
  }
  override async bankPinBlock(): Promise<BankPinBlockView> {
    return { pan: '************0019', pinBlock: '0123456789ABCDEF', format: 0 };
  }
  override async hsmStep(): Promise<string> {
    return '00112233445566778899AABBCCDDEEFF|0011223344556677|';
  }
  override async signInClerk(): Promise<ClerkView> {
    return { operatorId: '0123456789abcdef', name: 'window 7' };
  }
  override async authorisePin(): Promise<PinAuthorisationView> {
    return {
      operation: 'unblock',
      cardNumber: '*******19',
      clerk: { operatorId: '0123456789abcdef', name: 'window 7' },
      expiresAt: '2026-12-07T08:05:00.000Z',
    };
  }
  override async managePin(): Promise<PinManagementView> {
    return { operation: 'unblock', ok: true, code: 0 };
  }
}

interface Started {
  server: ApiServer;
  port: number;
  logged: Record<string, unknown>[];
}

async function startServer(options: { host?: string; legacyHisClients?: boolean } = {}): Promise<Started> {
  const logged: Record<string, unknown>[] = [];
  const server = new ApiServer({
    host: options.host ?? '127.0.0.1',
    port: 0,
    allowedOrigins: [HIS],
    allowedHosts: [],
    token: TOKEN,
    terminal: recordedTerminal,
    legacyHisClients: options.legacyHisClients ?? false,
    readers: new RecordedReaders(),
    actions: new RecordedActions(),
    pin: new PinFlow({ pad: undefined, minLength: 6, maxLength: 6, timeoutMs: 30_000 }),
    log: createLogger({ level: 'debug', write: (line) => logged.push(JSON.parse(line)) }),
    outbox: {
      view: async () => ({ open: true, pending: [], parked: [PARKED], otherTerminals: [] }),
      unpark: async (key) =>
        key === PARKED.idempotencyKey
          ? { open: true, pending: [{ ...PARKED, parked: null }], parked: [], otherTerminals: [] }
          : undefined,
    },
  });
  const { port } = await server.listen();
  return { server, port, logged };
}

/** The concrete path of a route (`:fn` filled in with the ministry's read function). */
function concrete(path: string): string {
  return path.replace(':fn', 'iReadCardBas');
}

/** Spellings of one path that must never reach its handler without the route's own check. */
function spellings(path: string): string[] {
  const mixed = [...path].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');
  const variants = new Set([
    path.toUpperCase(),
    path.toLowerCase(),
    mixed,
    `${path}/`,
    `${path.toUpperCase()}/`,
    path.replaceAll('/', '%2F'),
    `/${path.slice(1).replaceAll('/', '%2F')}`,
    `/${path.slice(1).replaceAll('/', '%2f')}`,
    path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
    path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    `/${path}`,
    path.replace('/', '//'),
    `${path}%2F`,
    `${path}/.`,
    path.replace(/\/([^/]+)$/, '/./$1'),
  ]);
  return [...variants];
}

describe('the route table decides every route, whatever its spelling', () => {
  let api: Started;
  before(async () => {
    api = await startServer();
  });
  after(() => api.server.close());

  const target = () => ({ address: '127.0.0.1', port: api.port });

  it('refuses, or does not find, every spelling of every non-open route without a token', async () => {
    const failures: string[] = [];
    for (const [name, rule] of Object.entries(HTTP_ROUTES)) {
      if (rule.access === 'open') continue;
      const path = concrete(rule.path);
      for (const variant of [path, ...spellings(path)]) {
        for (const method of rule.methods) {
          const reply = await send(
            target(),
            method,
            `${variant}?iType=3`,
            {
              'content-type': 'application/json',
            },
            method === 'POST' ? '{}' : undefined,
          );
          const leaked = reply.body.includes(ID_NUMBER) || reply.body.includes('Virtual PCD');
          if (![401, 404, 400].includes(reply.status) || leaked) {
            failures.push(
              `${name}: ${method} ${variant} → ${reply.status}${leaked ? ' with card data' : ''}`,
            );
          }
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('answers every route in its own spelling to a client with the token', async () => {
    for (const [name, rule] of Object.entries(HTTP_ROUTES)) {
      for (const method of rule.methods) {
        const reply = await send(
          target(),
          method,
          `${concrete(rule.path)}?iType=3`,
          { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          method === 'POST'
            ? JSON.stringify(
                name === 'enrol'
                  ? { code: 'X' }
                  : name === 'outboxUnpark'
                    ? { idempotencyKey: PARKED.idempotencyKey }
                    : name === 'ministryHsmStep'
                      ? { function: 'iReadCardBas_HSM_Step1', step1: RECORDED_BAS }
                      : name === 'bankWithdrawal'
                        ? { amount: 100 }
                        : name === 'bureauClerk'
                          ? { clerkToken: 'sst_0123456789abcdef_secret' }
                          : name === 'pinAuthorisation'
                            ? {
                                operation: 'unblock',
                                clerkToken: 'sst_0123456789abcdef_secret',
                                holderIdNumber: '11010519491231002X',
                              }
                            : name === 'pinManagement'
                              ? { operation: 'unblock' }
                              : {},
              )
            : undefined,
        );
        // 404 for enrolment and the desk's settlement: this agent has no card-service; the route
        // itself was reached.
        assert.ok(
          reply.status < 400 || ((name === 'enrol' || name.startsWith('settlement')) && reply.status === 404),
          `${name}: ${reply.status}`,
        );
      }
    }
  });

  it('refuses every spelling of the WebSocket endpoints to a client without the token', async () => {
    const ministry = WEBSOCKET_ENDPOINTS.ministry.path;
    for (const variant of [ministry, ...spellings(ministry)].filter((v) => v.startsWith('/'))) {
      const outcome = await openWebSocket(`ws://127.0.0.1:${api.port}${variant}`, {});
      if (outcome instanceof WebSocket) outcome.close();
      assert.ok(typeof outcome === 'number' && outcome >= 400, `${variant} opened`);
    }
    const socketIo = WEBSOCKET_ENDPOINTS.socketIo.path;
    for (const variant of [socketIo, ...spellings(socketIo)].filter((v) => v.startsWith('/'))) {
      const outcome = await socketIoConnect(api.port, {}, variant);
      assert.ok(
        outcome === 'refused' || (typeof outcome === 'number' && outcome >= 400),
        `${variant} connected`,
      );
    }
  });

  it('answers a method the route does not serve with 405', async () => {
    const reply = await send(target(), 'GET', '/v1/card/read', { authorization: `Bearer ${TOKEN}` });
    assert.equal(reply.status, 405);
    assert.equal(reply.headers.allow, 'POST');
  });

  it('refuses enrolment to a client without the token (401) and to a web page (403)', async () => {
    const anonymous = await send(target(), 'POST', '/v1/registry/enrol', {}, '');
    assert.equal(anonymous.status, 401);
    const page = await send(target(), 'POST', '/v1/registry/enrol', { origin: HIS });
    assert.equal(page.status, 403);
    assert.equal(JSON.parse(page.body).code, 'TOKEN_CLIENT_ONLY');
  });
});

describe('generated requests over every route', () => {
  let api: Started;
  before(async () => {
    api = await startServer();
  });
  after(() => api.server.close());

  /** A route's path, its letters' case flipped here and there, some characters %-encoded, with junk. */
  const mutatedPath = fc
    .record({
      rule: fc.constantFrom(...Object.values(HTTP_ROUTES)),
      flips: fc.array(fc.nat(40), { maxLength: 3 }),
      encodes: fc.array(fc.nat(40), { maxLength: 2 }),
      suffix: fc.constantFrom(
        '',
        '/',
        '//',
        '/.',
        '%2F',
        '%',
        '%E0%A4%A',
        '%ED%A0%80',
        '/x',
        '?iType=3',
        '?iType=%FF',
      ),
    })
    .map(({ rule, flips, encodes, suffix }) => {
      const chars = [...concrete(rule.path)];
      for (const i of flips) {
        const c = chars[i % chars.length]!;
        chars[i % chars.length] = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
      }
      for (const i of encodes) {
        const c = chars[i % chars.length]!;
        chars[i % chars.length] = `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
      }
      return chars.join('') + suffix;
    });

  const requests = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    path: fc.oneof(
      mutatedPath,
      fc.string({ maxLength: 12 }).map((s) => `/${encodeURIComponent(s)}`),
    ),
    origin: fc.constantFrom(undefined, HIS, 'https://evil.example', 'null', 'http://127.0.0.1:1'),
    token: fc.constantFrom(undefined, TOKEN, `${TOKEN}x`),
    fetchSite: fc.constantFrom(undefined, 'same-origin', 'cross-site'),
    body: fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 2 }).map((v) => ({ type: 'application/json', text: JSON.stringify(v) })),
      fc.string({ maxLength: 20 }).map((text) => ({ type: 'application/json', text })),
      fc.constantFrom(
        { type: 'application/json; charset=latin1', text: '{}' },
        { type: 'application/x-www-form-urlencoded', text: 'iType=%E0%A4%A' },
        { type: 'text/plain', text: 'iReadCardBas' },
      ),
    ),
  });

  it('answers every one with a 2xx or 4xx, logs no failure, and gives card data only to allowed clients', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (r) => {
        const headers: Record<string, string> = {};
        if (r.origin) headers.origin = r.origin;
        if (r.token) headers.authorization = `Bearer ${r.token}`;
        if (r.fetchSite) headers['sec-fetch-site'] = r.fetchSite;
        if (r.body) {
          headers['content-type'] = r.body.type;
          headers['content-length'] = String(Buffer.byteLength(r.body.text));
        }
        const before = api.logged.length;
        const reply = await send(
          { address: '127.0.0.1', port: api.port },
          r.method,
          r.path,
          headers,
          r.body?.text,
        );
        const where = `${r.method} ${r.path} ${JSON.stringify(headers)} → ${reply.status} ${reply.body.slice(0, 120)}`;
        assert.ok(reply.status < 500, where);
        assert.deepEqual(
          api.logged.slice(before).filter((l) => l.level === 'error'),
          [],
          where,
        );
        const cardData = reply.body.includes(ID_NUMBER) || reply.body.includes('Virtual PCD');
        const allowed =
          r.token === TOKEN ||
          (r.token === undefined &&
            (r.origin === HIS || (r.origin === undefined && r.fetchSite === 'same-origin')));
        assert.ok(!cardData || allowed, `card data to a client that may not have them: ${where}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the outbox for the operator', () => {
  let api: Started;
  before(async () => {
    api = await startServer();
  });
  after(() => api.server.close());

  it('shows parked requests with their reason to token clients only', async () => {
    const target = { address: '127.0.0.1', port: api.port };
    const reply = await send(target, 'GET', '/v1/outbox', { authorization: `Bearer ${TOKEN}` });
    assert.equal(reply.status, 200);
    assert.deepEqual(JSON.parse(reply.body).parked, [PARKED]);
    const page = await send(target, 'GET', '/v1/outbox', { origin: HIS });
    assert.equal(page.status, 403);
  });

  it('puts a parked request back, and answers 404 for a key that names none', async () => {
    const target = { address: '127.0.0.1', port: api.port };
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const back = await send(
      target,
      'POST',
      '/v1/outbox/unpark',
      headers,
      JSON.stringify({ idempotencyKey: PARKED.idempotencyKey }),
    );
    assert.equal(back.status, 200);
    assert.deepEqual(JSON.parse(back.body).parked, []);
    const unknown = await send(target, 'POST', '/v1/outbox/unpark', headers, '{"idempotencyKey":"T:1"}');
    assert.equal(unknown.status, 404);
  });
});

describe('malformed %-escapes in a path', () => {
  let api: Started;
  before(async () => {
    api = await startServer();
  });
  after(() => api.server.close());

  for (const path of [
    '/ministry/%E0%A4%A',
    '/ministry/%ED%A0%80',
    '/v1/%ED%A0%80',
    '/v1/card/%E0%A4%A',
    '/%FF',
    '/index.html%',
  ]) {
    it(`answers ${path} with a 400 problem and logs no failure`, async () => {
      const before = api.logged.length;
      const reply = await send({ address: '127.0.0.1', port: api.port }, 'GET', path, {
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(reply.status, 400);
      assert.equal(JSON.parse(reply.body).code, 'MALFORMED_PATH');
      const errors = api.logged.slice(before).filter((r) => r.level === 'error');
      assert.deepEqual(errors, []);
    });
  }
});

describe('peers that are not on the loopback interface', () => {
  it('tells loopback addresses from others', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
    for (const a of ['192.0.2.7', '::ffff:192.0.2.7', 'fe80::1', '10.0.0.1', '', undefined])
      assert.ok(!isLoopbackAddress(a), String(a));
  });

  it('need the token whatever Origin or Sec-Fetch-Site they send', () => {
    const policy = new AccessPolicy({
      address: () => ({ host: '0.0.0.0', port: 8686 }),
      allowedOrigins: [HIS],
      allowedHosts: [],
      token: TOKEN,
      legacyHisClients: true,
    });
    const remote = (headers: Record<string, string>) =>
      policy.check(
        { headers: { host: '127.0.0.1:8686', ...headers }, remoteAddress: '192.0.2.7' },
        HTTP_ROUTES.ministry,
      );
    const pretences: Record<string, string>[] = [
      { origin: HIS },
      { 'sec-fetch-site': 'same-origin' },
      { origin: 'http://127.0.0.1:8686' },
      {},
    ];
    for (const headers of pretences) {
      const decision = remote(headers);
      assert.equal(decision.allowed, false, JSON.stringify(headers));
      assert.equal(!decision.allowed && decision.code, 'TOKEN_REQUIRED');
    }
    assert.equal(remote({ authorization: `Bearer ${TOKEN}` }).allowed, true);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it('over the network: REST, the ministry WebSocket and socket.io refuse a page origin without the token', {
    skip: external === undefined ? 'this machine has no non-loopback IPv4 address' : false,
  }, async () => {
    const api = await startServer({ host: '0.0.0.0', legacyHisClients: true });
    try {
      const target = { address: external!, port: api.port };
      for (const headers of [{ origin: HIS }, { 'sec-fetch-site': 'same-origin' }, {}] as Record<
        string,
        string
      >[]) {
        const rest = await send(target, 'GET', '/v1/readers', headers);
        assert.equal(rest.status, 401, JSON.stringify(headers));
        const ministry = await send(target, 'GET', '/ministry/iReadCardBas?iType=3', headers);
        assert.equal(ministry.status, 401, JSON.stringify(headers));
        assert.ok(!ministry.body.includes(ID_NUMBER));
      }
      assert.equal(
        await openWebSocket(`ws://${external}:${api.port}/ws/ministry`, {
          origin: HIS,
          host: `127.0.0.1:${api.port}`,
        }),
        401,
      );
      assert.equal(
        await openWebSocket(`ws://${external}:${api.port}/ws/ministry`, { host: `127.0.0.1:${api.port}` }),
        401,
      );
      for (const origin of [HIS, `http://127.0.0.1:${api.port}`]) {
        const io = await socketIoConnect(
          api.port,
          { origin, host: `127.0.0.1:${api.port}` },
          '/socket.io/',
          external,
        );
        assert.equal(io, 'refused', origin);
      }
      const withToken = await send(target, 'GET', '/v1/readers', { authorization: `Bearer ${TOKEN}` });
      assert.equal(withToken.status, 200);
      const health = await send(target, 'GET', '/healthz', {});
      assert.equal(health.status, 200);
      assert.ok(
        api.logged.some((r) => r.level === 'warn' && /beyond this machine/.test(String(r.msg))),
        'the start warns that the API listens beyond loopback',
      );
    } finally {
      await api.server.close();
    }
  });
});

describe('legacy HIS desktop programs (api.legacyHisClients)', () => {
  it('off: a loopback program without Origin or token gets 401 on the ministry interface', async () => {
    const api = await startServer();
    try {
      const target = { address: '127.0.0.1', port: api.port };
      assert.equal((await send(target, 'GET', '/ministry/iReadCardBas?iType=3')).status, 401);
      assert.equal(await openWebSocket(`ws://127.0.0.1:${api.port}/ws/ministry`, {}), 401);
      assert.ok(!api.logged.some((r) => /legacyHisClients/.test(String(r.msg))));
    } finally {
      await api.server.close();
    }
  });

  it('on: such a program may use the ministry interface, and only it; the start warns', async () => {
    const api = await startServer({ legacyHisClients: true });
    try {
      const target = { address: '127.0.0.1', port: api.port };
      assert.ok(api.logged.some((r) => r.level === 'warn' && /legacyHisClients is on/.test(String(r.msg))));
      const http = await send(target, 'GET', '/ministry/iReadCardBas?iType=3');
      assert.equal(http.status, 200);
      assert.equal(JSON.parse(http.body).pOutInfo, RECORDED_BAS);
      const ws = await openWebSocket(`ws://127.0.0.1:${api.port}/ws/ministry`, {});
      assert.ok(ws instanceof WebSocket);
      assert.equal((await callOver(ws, '{"function":"iReadCardBas","iType":3}')).pOutInfo, RECORDED_BAS);
      ws.close();
      // Not REST, not socket.io, not the operator's routes.
      assert.equal((await send(target, 'GET', '/v1/readers')).status, 401);
      assert.equal((await send(target, 'POST', '/v1/card/read', {}, '')).status, 401);
      assert.equal((await send(target, 'GET', '/metrics')).status, 401);
      assert.equal(await socketIoConnect(api.port, {}), 'refused');
      assert.equal(await socketIoConnect(api.port, { origin: HIS }), 'connected');
      // A browser's no-cors request (an <img> or <script> tag) sends no Origin but Sec-Fetch-*.
      const tag = await send(target, 'GET', '/ministry/iReadCardBas?iType=3', {
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
      });
      assert.equal(tag.status, 401);
      // A page of another origin is still refused.
      assert.equal(
        await openWebSocket(`ws://127.0.0.1:${api.port}/ws/ministry`, { origin: 'https://evil.example' }),
        403,
      );
    } finally {
      await api.server.close();
    }
  });
});

/**
 * A socket.io connection over a raw WebSocket (engine.io v4 framing): the server opens the
 * transport, then answers the namespace CONNECT with `40{…}` (connected) or `44{…}` (refused by the
 * connection middleware). A refused upgrade resolves with its HTTP status.
 */
async function socketIoConnect(
  port: number,
  headers: Record<string, string>,
  path = '/socket.io/',
  address = '127.0.0.1',
): Promise<'connected' | 'refused' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${address}:${port}${path}?EIO=4&transport=websocket`, { headers });
    // The open packet can arrive in the same read as the 101 answer: listen from the start.
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0{')) ws.send('40');
      else if (text.startsWith('40') || text.startsWith('44')) {
        resolve(text.startsWith('40') ? 'connected' : 'refused');
        ws.close();
      }
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', reject);
  });
}
