import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { citizenIdCheckChar } from '@sscard/card-core';
import {
  type CardDocument,
  generateKeyset,
  type IssuerKeyset,
  parseCardDocument,
} from '@sscard/card-emulator/cards/index';
import { loadConfig } from '@sscard/card-service/config';
import { type RunningService, startService } from '@sscard/card-service/service';
import { startTestHsm } from '@sscard/card-service/testing/hsm-fixture';
import { silentLogger } from '@sscard/log';
import { tempDir } from '@sscard/test-harness';
import { sendJson } from '@sscard/terminal-agent/registry/https-json';

/**
 * card-service on sqlite3 in a temporary directory with its HSM process, as a kiosk in the field
 * talks to it: the registry check of every read goes there. The HSM holds keys made from the
 * issuer keyset the emulator's cards are personalised with.
 */
export interface Registry {
  service: RunningService;
  keyset: IssuerKeyset;
  caCertPath: string;
  /** An agent config's `cardService` section, enrolling as `terminalId`. */
  agentCardService(terminalId: string): Promise<{ url: string; caCertPath: string; enrolmentCode: string }>;
  /** Registers a holder with medical and pension coverage, issues a card and activates it. */
  issueCard(name: string, idNumber: string, generation: 2 | 3): Promise<CardDocument>;
  close(): Promise<void>;
}

/** A valid resident ID number: region 330302, the given birth date, a sequence, its check character. */
export function citizenId(birthDate: string, sequence: string): string {
  const first17 = `330302${birthDate}${sequence}`;
  return first17 + citizenIdCheckChar(first17);
}

export async function startRegistry(): Promise<Registry> {
  const dataDir = await tempDir('sscard-bench-kiosk-registry-');
  const keyset = generateKeyset();
  const hsm = await startTestHsm(dataDir, keyset);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      databaseUrl: join(dataDir, 'registry.db'),
      listen: { host: '127.0.0.1', port: 0 },
      logLevel: 'silent',
      hsm: { dir: hsm.dir },
    },
  });
  const service = await startService(config, { log: silentLogger });
  const caCertPath = join(dataDir, 'terminal-trust.pem');
  await writeFile(caCertPath, service.caCertPem);
  const agent = new Agent({ ca: service.caCertPem, keepAlive: false });
  const token = service.adminToken;
  if (!token) throw new Error('card-service made no operator token for a fresh data directory');
  const operator = async <T>(path: string, body: unknown, expected: number): Promise<T> => {
    const answer = await sendJson({
      method: 'POST',
      url: new URL(path, service.url),
      body,
      agent,
      timeoutMs: 30_000,
      headers: { authorization: `Bearer ${token}` },
    });
    if (answer.status !== expected)
      throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as T;
  };
  return {
    service,
    keyset,
    caCertPath,
    async agentCardService(terminalId) {
      const { code } = await operator<{ code: string }>(
        '/v1/enrolment-codes',
        { terminalId, type: 'kiosk', region: '330300' },
        201,
      );
      return { url: service.url, caCertPath, enrolmentCode: code };
    },
    async issueCard(name, idNumber, generation) {
      const { holder } = await operator<{ holder: { personNo: string } }>(
        '/v1/holders',
        {
          idNumber,
          name,
          ethnicity: '01',
          region: '330302',
          relations: [
            { schemeCode: '310', insuredRegion: '330300', startDate: '2015-07-01' },
            { schemeCode: '110', insuredRegion: '330300', startDate: '2015-07-01' },
          ],
        },
        201,
      );
      const issued = await operator<{ card: { cardNumber: string }; document: unknown }>(
        `/v1/holders/${holder.personNo}/cards`,
        { generation },
        201,
      );
      await operator(`/v1/cards/${issued.card.cardNumber}/events`, { event: 'activateSocialSecurity' }, 200);
      return parseCardDocument(issued.document);
    },
    async close() {
      agent.destroy();
      await service.close();
      await hsm.stop();
    },
  };
}
