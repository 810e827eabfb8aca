import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type Agent, request } from 'node:https';
import forge from 'node-forge';
import { internalAuthCryptogram, parseCardIdCode, ssseCardKey } from '@sscard/card-core';
import type { Clock } from '../clock.js';
import { type ServiceConfigInput, isPostgresUrl, loadConfig } from '../config.js';
import { type TestHsm, startTestHsm } from './hsm-fixture.js';
import { silentLogger } from '@sscard/log';
import { serviceLoginUrl } from './engines-fixture.js';
import { type RunningService, startService } from '../service.js';

export interface TlsIdentity {
  key: string;
  cert: string;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  identity?: TlsIdentity;
  headers?: Record<string, string>;
  agent?: Agent;
  /** Raw body text instead of JSON (for malformed-body tests). */
  raw?: string;
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: each test asserts the JSON shape it reads
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** Test keys in the card-emulator keyset format, so the test can act as the card. */
export interface TestKeys {
  internalAuth: { '3des': Buffer; sm4: Buffer };
  externalAuth: { '3des': Buffer; sm4: Buffer };
  pinReload: { '3des': Buffer; sm4: Buffer };
  acMasterKeys: { '3des': Buffer; sm4: Buffer };
}

export interface TestService {
  /** The service; its `close` also stops the HSM process. */
  service: RunningService;
  /** The service's HSM process. */
  hsm: TestHsm;
  adminToken: string;
  keys: TestKeys;
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** Enrols a terminal the way an agent does: own key pair, CSR, one-time code. */
  enrolTerminal(terminalId: string, type: string, region?: string): Promise<TlsIdentity>;
}

/** A card issued and activated through the operator API, with what a terminal reads from it. */
export interface IssuedCardData {
  personNo: string;
  cardNumber: string;
  cardIdCode: string;
  algorithm: '3des' | 'sm4';
  ssn: string;
  name: string;
}

/**
 * Registers a holder with one insurance relation in region 330300, issues them a card and
 * activates its social-security function, all as the operator, asserting each step.
 */
export async function issueActiveCard(
  t: TestService,
  holder: { ssn: string; name: string; schemeCode: string; startDate: string },
  generation: 2 | 3 = 3,
): Promise<IssuedCardData> {
  const issued = await issueActiveCardTo(
    t,
    {
      idNumber: holder.ssn,
      name: holder.name,
      ethnicity: '01',
      region: '330300',
      relations: [{ schemeCode: holder.schemeCode, insuredRegion: '330300', startDate: holder.startDate }],
    },
    generation,
  );
  return { ...issued, ssn: holder.ssn, name: holder.name };
}

/** A fresh challenge for the card, answered as the card in the terminal's reader answers it. */
export async function cardPresentProof(
  t: TestService,
  c: IssuedCardData,
  identity: TlsIdentity,
): Promise<{ challengeId: string; cryptogram: string }> {
  const ch = await t.call('POST', '/v1/challenges', { identity, body: { cardIdCode: c.cardIdCode } });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  const key = ssseCardKey(c.algorithm, t.keys.internalAuth[c.algorithm], parseCardIdCode(c.cardIdCode).bytes);
  const cryptogram = internalAuthCryptogram(c.algorithm, key, Buffer.from(ch.body.challenge, 'hex'));
  return { challengeId: ch.body.challengeId as string, cryptogram: cryptogram.toString('hex') };
}

/** Registers the holder as given, issues them a card and activates it, as the operator, asserting each step. */
export async function issueActiveCardTo(
  t: TestService,
  registration: {
    idNumber: string;
    name: string;
    ethnicity: string;
    region: string;
    relations: ReadonlyArray<{
      schemeCode: string;
      insuredRegion: string;
      startDate: string;
      status?: 'active' | 'paused' | 'terminated';
      pauseDate?: string;
    }>;
  },
  generation: 2 | 3 = 3,
): Promise<Omit<IssuedCardData, 'ssn' | 'name'>> {
  const registered = await t.call('POST', '/v1/holders', { token: t.adminToken, body: registration });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const personNo: string = registered.body.holder.personNo;
  const issued = await t.call('POST', `/v1/holders/${personNo}/cards`, {
    token: t.adminToken,
    body: { generation },
  });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  const card = issued.body.card;
  const activated = await t.call('POST', `/v1/cards/${card.cardNumber}/events`, {
    token: t.adminToken,
    body: { event: 'activateSocialSecurity' },
  });
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  return { personNo, cardNumber: card.cardNumber, cardIdCode: card.cardIdCode, algorithm: card.algorithm };
}

export function newCsr(commonName = 'ignored'): { keyPem: string; csrPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(key, forge.md.sha256.create());
  return { keyPem: privateKey, csrPem: forge.pki.certificationRequestToPem(csr) };
}

/**
 * An issuer keyset in card-emulator's format (the parts the service keyset is made from), random,
 * with its master keys as buffers so that the test can act as the card.
 */
export function testIssuerKeyset(): { keyset: unknown; keys: TestKeys } {
  const k = () => randomBytes(16).toString('hex').toUpperCase();
  const set = () => ({ internalAuth: k(), externalAuth: k(), pinReload: k(), update: k() });
  const keyset = {
    version: 1,
    createdAt: new Date().toISOString(),
    ssse: { '3des': set(), sm4: set() },
    emv: { acMasterKeys: { '3des': k(), sm4: k() } },
  };
  const both = (pick: (alg: '3des' | 'sm4') => string) => ({
    '3des': Buffer.from(pick('3des'), 'hex'),
    sm4: Buffer.from(pick('sm4'), 'hex'),
  });
  return {
    keyset,
    keys: {
      internalAuth: both((a) => keyset.ssse[a].internalAuth),
      externalAuth: both((a) => keyset.ssse[a].externalAuth),
      pinReload: both((a) => keyset.ssse[a].pinReload),
      acMasterKeys: both((a) => keyset.emv.acMasterKeys[a]),
    },
  };
}

export async function startTestService(
  databaseUrl: string,
  dataDir: string,
  clock?: Clock,
  rateLimit: ServiceConfigInput['rateLimit'] = {
    capacity: 10_000,
    refillPerSecond: 1000,
    failureCapacity: 10_000,
    failuresPerMinute: 60_000,
  },
  /** Further config for the service under test. */
  overrides: ServiceConfigInput = {},
): Promise<TestService> {
  // On PostgreSQL the service runs as a login of the service role, the schema owner migrates.
  const owner = isPostgresUrl(databaseUrl) ? databaseUrl : '';
  const serviceUrl = owner ? await serviceLoginUrl(owner) : databaseUrl;
  const { keyset, keys } = testIssuerKeyset();
  const hsm = await startTestHsm(dataDir, keyset);
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      // A test on a manual clock issues its terminals' certificates at that clock's time, but TLS
      // checks them against the real one: they must stay valid long after the date a test chose.
      ...(clock ? { tls: { terminalCertificateDays: 3650, ...overrides.tls } } : {}),
      // The test server runs with fsync off for speed (test-harness).
      postgres: { acceptUnsafeDurability: true, ...overrides.postgres },
      dataDir,
      databaseUrl: serviceUrl,
      migrationDatabaseUrl: owner,
      listen: { host: '127.0.0.1', port: 0, ...overrides.listen },
      logLevel: 'silent',
      rateLimit,
      hsm: { dir: hsm.dir, ...overrides.hsm },
    },
  });
  let running: RunningService;
  try {
    running = await startService(config, { ...(clock ? { clock } : {}), log: silentLogger });
  } catch (e) {
    await hsm.stop();
    throw e;
  }
  const service: RunningService = {
    ...running,
    close: async () => {
      await running.close();
      await hsm.stop();
    },
  };
  const adminToken = service.adminToken!;
  const call = (method: string, path: string, options: CallOptions = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const text = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      const req = request(
        `${service.url}${path}`,
        {
          method,
          ca: service.caCertPem,
          agent: options.agent ?? false,
          ...(options.identity ? { key: options.identity.key, cert: options.identity.cert } : {}),
          headers: {
            ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            ...options.headers,
          },
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            data += c;
          });
          res.on('end', () => {
            let body: unknown = data;
            try {
              body = JSON.parse(data);
            } catch {
              // metrics and other text answers stay text
            }
            resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      if (text !== undefined) req.write(text);
      req.end();
    });
  return {
    service,
    hsm,
    adminToken,
    keys,
    call,
    async enrolTerminal(terminalId, type, region = '330300') {
      const code = await call('POST', '/v1/enrolment-codes', {
        token: adminToken,
        body: { terminalId, type, region },
      });
      if (code.status !== 201) throw new Error(`enrolment code: ${JSON.stringify(code.body)}`);
      const { keyPem, csrPem } = newCsr();
      const enrolled = await call('POST', '/v1/enrol', { body: { code: code.body.code, csr: csrPem } });
      if (enrolled.status !== 201) throw new Error(`enrol: ${JSON.stringify(enrolled.body)}`);
      return { key: keyPem, cert: enrolled.body.certificatePem };
    },
  };
}
