import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import {
  CLA,
  INS,
  SELECT_BY,
  type CommandApdu,
  type ResponseApdu,
  SSSE_AID,
  citizenIdCheckChar,
  requireSuccess,
  transceive,
} from '@sscard/card-core';
import {
  type IssuerKeyset,
  createCard,
  generateKeyset,
  parseCardDocument,
} from '@sscard/card-emulator/cards/index';
import { type ServiceConfigInput, loadConfig } from '@sscard/card-service/config';
import { type TestHsm, startTestHsm } from '@sscard/card-service/testing/hsm-fixture';
import { silentLogger } from '@sscard/log';
import { createOperatorToken } from '@sscard/card-service/terminals/operator-tokens';
import { type RunningService, startService } from '@sscard/card-service/service';
import { tempDir } from '@sscard/test-harness';
import { sendJson } from '@sscard/terminal-agent/registry/https-json';
import type { ApduSender } from '@sscard/terminal-agent/apps/internal-authenticate';

/**
 * A real card-service on sqlite3 in a temporary directory, with its HSM process holding the
 * service keyset made from an issuer keyset that the virtual cards of the same test share,
 * and the operator calls the registry tests need: enrolment codes, holders, cards, revocation.
 */

export interface RegistryUnderTest {
  service: RunningService;
  dataDir: string;
  /** The service's store: the PostgreSQL URL given, or its sqlite3 file. */
  databaseUrl: string;
  keyset: IssuerKeyset;
  /** The service's HSM process. */
  hsm: TestHsm;
  /** The service's CA certificate written to a file, as an installer would hand it to a terminal. */
  caCertPath: string;
  operator<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  enrolmentCode(terminalId: string, type?: string, region?: string): Promise<string>;
  /** An agent config's `cardService` section: this service, enrolling as the given terminal. */
  agentCardService(
    terminalId: string,
    type?: string,
    region?: string,
  ): Promise<{ url: string; caCertPath: string; enrolmentCode: string }>;
  revoke(terminalId: string): Promise<void>;
  /** Moves the service's clock (certificate validity, code expiry) by `ms` from real time. */
  setClockOffset(ms: number): void;
  close(): Promise<void>;
}

export async function startRegistry(
  /** Further service configuration (e.g. short-lived terminal certificates). */
  overrides: ServiceConfigInput = {},
  /** A PostgreSQL database (the harness's) instead of sqlite3 in the data directory. */
  store: { databaseUrl?: string } = {},
): Promise<RegistryUnderTest> {
  const dataDir = await tempDir('sscard-registry-');
  const keyset = generateKeyset();
  const hsm = await startTestHsm(dataDir, keyset);
  const databaseUrl = store.databaseUrl ?? join(dataDir, 'registry.db');
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      dataDir,
      databaseUrl,
      // The harness's PostgreSQL runs without fsync for speed; what is tested is the service and the agent.
      ...(store.databaseUrl ? { postgres: { acceptUnsafeDurability: true } } : {}),
      listen: { host: '127.0.0.1', port: 0 },
      logLevel: 'silent',
      rateLimit: {
        capacity: 10_000,
        refillPerSecond: 1000,
        failureCapacity: 10_000,
        failuresPerMinute: 60_000,
      },
      hsm: { dir: hsm.dir },
    },
  });
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);
  const service = await startService(config, { clock, log: silentLogger });
  const caCertPath = join(dataDir, 'terminal-trust.pem');
  await writeFile(caCertPath, service.caCertPem);
  const agent = new Agent({ ca: service.caCertPem, keepAlive: false });
  // An operator token lives 90 days; when a test moves the service's clock past that, the operator
  // makes a new one, as `sscard-service token create` would.
  let token = service.adminToken!;
  let tokenMadeAtOffsetMs = 0;
  const currentToken = async () => {
    if (clockOffsetMs !== tokenMadeAtOffsetMs) {
      tokenMadeAtOffsetMs = clockOffsetMs;
      ({ token } = await createOperatorToken(
        service.store,
        clock,
        config.operatorTokens,
        { name: 'test operator', scopes: ['admin'] },
        { kind: 'system', id: 'test' },
      ));
    }
    return token;
  };
  const operator = async <T = unknown>(method: string, path: string, body?: unknown) => {
    const answer = await sendJson({
      method,
      url: new URL(path, service.url),
      body,
      agent,
      timeoutMs: 30_000,
      headers: { authorization: `Bearer ${await currentToken()}` },
    });
    return { status: answer.status, body: answer.body as T };
  };
  const enrolmentCode = async (terminalId: string, type = 'kiosk', region = '330300') => {
    const answer = await operator<{ code: string }>('POST', '/v1/enrolment-codes', {
      terminalId,
      type,
      region,
    });
    expectStatus('enrolment code', answer, 201);
    return answer.body.code;
  };
  const expectStatus = (what: string, answer: { status: number; body: unknown }, status: number) => {
    if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  return {
    service,
    dataDir,
    databaseUrl,
    keyset,
    hsm,
    caCertPath,
    operator,
    enrolmentCode,
    async agentCardService(terminalId, type, region) {
      return { url: service.url, caCertPath, enrolmentCode: await enrolmentCode(terminalId, type, region) };
    },
    async revoke(terminalId) {
      expectStatus('revoke', await operator('POST', `/v1/terminals/${terminalId}/revoke`), 200);
    },
    setClockOffset(ms) {
      clockOffsetMs = ms;
    },
    async close() {
      agent.destroy();
      await service.close();
      await hsm.stop();
    },
  };
}

/** A valid resident ID number: region 330302, the given birth date, a sequence, its check character. */
export function citizenId(birthDate: string, sequence: string): string {
  const first17 = `330302${birthDate}${sequence}`;
  return first17 + citizenIdCheckChar(first17);
}

export interface SeededCard {
  cardNumber: string;
  cardIdCode: string;
  personNo: string;
  idNumber: string;
  name: string;
  /** The personalisation document the service issued, for the virtual card. */
  document: unknown;
}

/** Registers a holder with medical and pension coverage, issues a card and activates it. */
export async function seedActiveCard(
  registry: RegistryUnderTest,
  options: { idNumber: string; name: string; generation?: 2 | 3 },
): Promise<SeededCard> {
  const holder = await registry.operator<{ holder: { personNo: string } }>('POST', '/v1/holders', {
    idNumber: options.idNumber,
    name: options.name,
    ethnicity: '01',
    region: '330302',
    relations: [
      { schemeCode: '310', insuredRegion: '330300', startDate: '2015-07-01' },
      { schemeCode: '110', insuredRegion: '330300', startDate: '2015-07-01' },
    ],
  });
  if (holder.status !== 201) throw new Error(`holder: ${JSON.stringify(holder.body)}`);
  const personNo = holder.body.holder.personNo;
  const issued = await registry.operator<{
    card: { cardNumber: string; cardIdCode: string };
    document: unknown;
  }>('POST', `/v1/holders/${personNo}/cards`, {
    generation: options.generation ?? 2,
  });
  if (issued.status !== 201) throw new Error(`issue: ${JSON.stringify(issued.body)}`);
  const cardNumber = issued.body.card.cardNumber;
  const activated = await registry.operator('POST', `/v1/cards/${cardNumber}/events`, {
    event: 'activateSocialSecurity',
  });
  if (activated.status !== 200) throw new Error(`activate: ${JSON.stringify(activated.body)}`);
  return {
    cardNumber,
    cardIdCode: issued.body.card.cardIdCode,
    personNo,
    idNumber: options.idNumber,
    name: options.name,
    document: issued.body.document,
  };
}

/**
 * The virtual card the personalisation document describes, powered and with the social security
 * application selected, as a card channel (what a card session offers the registry code).
 */
export function virtualCardChannel(
  document: unknown,
  keyset: IssuerKeyset,
): ApduSender & { apdus: Buffer[] } {
  const card = createCard(parseCardDocument(document), keyset);
  card.powerOn();
  const apdus: Buffer[] = [];
  const wire = async (bytes: Buffer) => {
    apdus.push(bytes);
    return card.transmit(bytes);
  };
  const channel = {
    apdus,
    transmit: (command: CommandApdu): Promise<ResponseApdu> => transceive(wire, command),
  };
  return channel;
}

export async function selectSsse(channel: ApduSender): Promise<void> {
  requireSuccess(
    await channel.transmit({ cla: CLA.ISO, ins: INS.SELECT, p1: SELECT_BY.name, p2: 0x00, data: SSSE_AID }),
    'select SSSE',
  );
}

/** The certificate's serial, as the service stores it. */
export function certificateSerial(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toUpperCase();
}
