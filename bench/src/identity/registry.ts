import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '@sscard/card-service/clock';
import { type ServiceConfigInput, dataPath, loadConfig } from '@sscard/card-service/config';
import { startTestHsm } from '@sscard/card-service/testing/hsm-fixture';
import { testIssuerKeyset } from '@sscard/card-service/testing/api-fixture';
import { Registry } from '@sscard/card-service/registry';
import { openStore } from '@sscard/card-service/store/open-store';
import { loadOrCreateCa } from '@sscard/card-service/terminals/ca';
import { createEnrolmentCode, enrolTerminal } from '@sscard/card-service/terminals/terminals';
import { repoRoot, tempDir } from '@sscard/test-harness';
import { generateKeyAndCsr } from '@sscard/terminal-agent/registry/enrolment';
import { runChild } from '../lib/children.js';
import { progress } from '../lib/report.js';
import { holderAt, writeHoldersCsv } from './holders-csv.js';

export type Engine = 'sqlite' | 'postgres';

/** The body of `POST /v1/identity/check` for one card the registry knows. */
export interface IdentityBody {
  cardIdCode: string;
  cardNumber: string;
  ssn: string;
  name: string;
}

export interface TerminalTls {
  keyPem: string;
  certPem: string;
  caPem: string;
  /** The service's own TLS key and certificate, for a baseline server with the same TLS setup. */
  serverKeyPem: string;
  serverCertPem: string;
}

export interface PreparedRegistry {
  engine: Engine;
  dataDir: string;
  /** Overrides for card-service's `loadConfig`: the service under test runs with exactly these. */
  config: ServiceConfigInput;
  holders: number;
  bodies: IdentityBody[];
  tls: TerminalTls;
  import: { rows: number; seconds: number; rowsPerSecond: number; csvSeconds: number };
  /** Stops the registry's HSM process and removes its files. */
  cleanup(): Promise<void>;
}

export interface PrepareOptions {
  engine: Engine;
  /** `postgres://…` when engine is postgres. */
  databaseUrl?: string;
  holders: number;
  /** Holders that get an active card (the identity checks pick among them). */
  cards: number;
  /** Keep the CSV (a large file) after the import; default false. */
  keepCsv?: boolean;
  /** Audit entries between HSM checkpoints (the service's `audit.checkpointEvery`). */
  checkpointEvery?: number;
}

/**
 * Settings of the service under test, kept the same for every engine and size. The rate limit is
 * raised because one load-generating terminal stands in for thousands of terminals (the limiter
 * still runs on every request). The identity cache is off so that every check reads card, holder
 * and coverage from the store, as checks of different citizens do. Request logging is at `warn`.
 */
export function serviceConfig(
  dataDir: string,
  databaseUrl: string,
  checkpointEvery = 1000,
): ServiceConfigInput {
  return {
    dataDir,
    databaseUrl,
    // The HSM process of the registry (`prepareRegistry` starts it): the audit chain is certified
    // every `checkpointEvery` entries while the load runs, as in production.
    audit: { checkpointEvery, checkpointIntervalSeconds: 60 },
    listen: { host: '127.0.0.1', port: 0 },
    logLevel: 'warn',
    rateLimit: { capacity: 1_000_000_000, refillPerSecond: 1_000_000_000 },
    identityCacheSeconds: 0,
    // The benchmark's PostgreSQL is the test harness's server, run with fsync off unless
    // `--durable-postgres yes`; accepting it unsafe changes nothing on a durable server.
    postgres: { acceptUnsafeDurability: true },
  };
}

const SERVICE_CLI = join(repoRoot, 'card-service/dist/cli.js');
const BENCH_ACTOR = { kind: 'operator' as const, id: 'bench' };

/**
 * A registry loaded the way a bureau loads one: holders from a CSV through the service's own
 * bulk import command (`sscard-service import`), then active cards for a sample of them, spread
 * evenly over the file, and one enrolled hospital terminal whose certificate the load uses.
 */
export async function prepareRegistry(options: PrepareOptions): Promise<PreparedRegistry> {
  const dataDir = await tempDir(`sscard-bench-${options.engine}-`);
  const databaseUrl = options.engine === 'postgres' ? options.databaseUrl! : join(dataDir, 'registry.db');
  const config = serviceConfig(dataDir, databaseUrl, options.checkpointEvery);
  const hsm = await startTestHsm(dataDir, testIssuerKeyset().keyset);
  const csv = join(dataDir, 'holders.csv');

  progress(`${options.engine}: writing ${options.holders.toLocaleString('en-US')} holders to a CSV`);
  let t = performance.now();
  await writeHoldersCsv(csv, options.holders);
  const csvSeconds = (performance.now() - t) / 1000;

  progress(`${options.engine}: sscard-service import (${options.holders.toLocaleString('en-US')} rows)`);
  t = performance.now();
  await runChild(process.execPath, [SERVICE_CLI, 'import', csv], {
    env: { SSCARD_DATA_DIR: dataDir, DATABASE_URL: databaseUrl, SSCARD_LOG_LEVEL: 'warn' },
    timeoutMs: 6 * 3600_000,
  });
  const seconds = (performance.now() - t) / 1000;
  if (!options.keepCsv) await rm(csv, { force: true });

  progress(`${options.engine}: issuing and activating ${options.cards} cards`);
  const resolved = loadConfig({ env: {}, overrides: config });
  const store = await openStore(resolved);
  const bodies: IdentityBody[] = [];
  let tls: TerminalTls;
  try {
    const registry = new Registry(store, systemClock, resolved.lifecycle);
    const step = options.holders / options.cards;
    for (let k = 0; k < options.cards; k++) {
      const holder = holderAt(Math.floor(k * step));
      const { card } = await registry.issueCard(holder.personNo, { generation: 3 }, BENCH_ACTOR);
      await registry.applyCardEvent(card.cardNumber, 'activateSocialSecurity', BENCH_ACTOR);
      bodies.push({
        cardIdCode: card.cardIdCode,
        cardNumber: card.cardNumber,
        ssn: holder.idNumber,
        name: holder.name,
      });
    }
    const ca = await loadOrCreateCa(dataPath(resolved, 'ca'), {
      hostnames: resolved.tls.serverHostnames,
      ips: resolved.tls.serverIps,
      now: systemClock(),
    });
    const code = await createEnrolmentCode(
      store,
      systemClock,
      { terminalId: 'BENCH-HOSPITAL-1', type: 'hospital', region: '330300', ttlSeconds: 3600 },
      BENCH_ACTOR,
    );
    const { keyPem, csrPem } = await generateKeyAndCsr('BENCH-HOSPITAL-1');
    const enrolled = await enrolTerminal(store, systemClock, ca, 30, code.code, csrPem);
    tls = {
      keyPem,
      certPem: enrolled.certificatePem,
      caPem: ca.caCertPem,
      serverKeyPem: ca.serverKeyPem,
      serverCertPem: ca.serverCertPem,
    };
  } finally {
    await store.close();
  }
  return {
    engine: options.engine,
    dataDir,
    config,
    holders: options.holders,
    bodies,
    tls,
    import: { rows: options.holders, seconds, rowsPerSecond: options.holders / seconds, csvSeconds },
    cleanup: async () => {
      await hsm.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
