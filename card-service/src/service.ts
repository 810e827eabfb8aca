import type { Express } from 'express';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AuditCheckpointer } from './audit/audit-checkpoints.js';
import { AuditWriter } from './audit/audit-writer.js';
import { type Clock, systemClock } from './clock.js';
import { type ServiceConfig, dataPath, hsmDir } from './config.js';
import { PinAuthorisations } from './bureau-counter/pin-authorisations.js';
import { CardPresence } from './card-auth/card-presence.js';
import { PinBlocks } from './card-auth/pin-blocks.js';
import { HsmSteps } from './ministry/hsm-steps.js';
import { ExternalAuthentication } from './card-auth/external-auth.js';
import { HsmClient } from './hsm/hsm-client.js';
import { hsmPaths } from './hsm/hsm-paths.js';
import { createApp } from './http/app.js';
import type { Services } from './http/context.js';
import { createMetrics } from './http/metrics.js';
import { IdentityChecks } from './identity/identity-check.js';
import { type Logger, createLogger } from '@sscard/log';
import { Registry } from './registry.js';
import { RequestReads } from './terminals/request-reads.js';
import { RiskChecks } from './risk/risk-checks.js';
import { PensionRuns } from './pension/run-schedule.js';
import { SettlementEngine } from './settlement/engine.js';
import { AnalysisJobs } from './whatif/analysis-jobs.js';
import { StatisticsRollUp } from './statistics/roll-up.js';
import { runFundWatches } from './whatif/fund-watch.js';
import { ensurePrivateDir, refuseOpenToOthers } from './secure-paths.js';
import { checkDurability } from './store/durability.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { loadOrCreateCa } from './terminals/ca.js';
import { TerminalContacts } from './terminals/terminal-contacts.js';
import { assignMissingExpiries, bootstrapAdminToken } from './terminals/operator-tokens.js';

export interface RunningService {
  /** `https://host:port`. */
  url: string;
  /** The root terminals and clients trust. */
  caCertPem: string;
  /** Where the bootstrap admin token is written (mode 0600). */
  adminTokenPath: string;
  /**
   * The admin token, only on the start that created it, for an embedding program; the service
   * itself never prints it (stdout and stderr end in a journal that more people read).
   */
  adminToken: string | undefined;
  /** The client of the HSM process: the one way domain code reaches issuer keys. */
  hsm: HsmClient;
  store: Store;
  /** Has the HSM certify the audit chain as it stands (as before a backup); normally on its own schedule. */
  checkpointAudit(): Promise<void>;
  /** The monthly runs the service starts (asked for over the API, and on its configured day). */
  pensionRuns: PensionRuns;
  /** The request handler, for embedding behind another server and for route-level tests. */
  app: Express;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  log?: Logger;
}

/**
 * Starts the service: store (migrated), CA and server certificate, HSM keys, bootstrap admin
 * token, and the HTTPS server that asks every client for a certificate (terminals) but also lets
 * operators and enrolling terminals in without one; routes decide what each may do.
 */
export async function startService(
  config: ServiceConfig,
  options: StartOptions = {},
): Promise<RunningService> {
  const clock = options.clock ?? systemClock;
  const log =
    options.log ?? createLogger({ level: config.logLevel, write: (line) => process.stdout.write(line) });
  ensurePrivateDir(dataPath(config), 'the data directory');
  refuseOpenToOthers(hsmDir(config), 'the HSM key directory');
  const store = await openStore(config);
  const hsm = new HsmClient({ socketPath: hsmPaths(hsmDir(config)).socket, timeoutMs: config.hsm.timeoutMs });
  try {
    await checkDurability(store, config.postgres.acceptUnsafeDurability, log);
    const ca = await loadOrCreateCa(dataPath(config, 'ca'), {
      hostnames: config.tls.serverHostnames,
      ips: config.tls.serverIps,
      now: clock(),
    });
    // The service starts without its HSM (it answers HSM_UNAVAILABLE until the HSM is up), but says so.
    const hsmStatus = await hsm.status().catch((e: unknown) => e as Error);
    if (store.dialect === 'postgres') await warnIfAuditWritable(store, log);
    if (hsmStatus instanceof Error)
      log.warn('HSM not reachable at start', { socket: hsm.socketPath, reason: hsmStatus.message });
    const adminTokenPath = dataPath(config, 'admin-token');
    const adminToken = await bootstrapAdminToken(store, clock, config.operatorTokens, adminTokenPath);
    const givenExpiry = await assignMissingExpiries(store, clock, config.operatorTokens);
    if (givenExpiry > 0) {
      log.warn('operator tokens without an expiry now expire', {
        tokens: givenExpiry,
        lifetimeDays: config.operatorTokens.lifetimeDays,
      });
    }
    const registry = new Registry(store, clock, config.lifecycle);
    const presence = new CardPresence(store, clock, hsm, config.challengeTtlSeconds);
    const pinAuthorisations = new PinAuthorisations(
      store,
      clock,
      presence,
      config.pinAuthorisationTtlSeconds,
    );
    const checkpointer = new AuditCheckpointer(store, hsm, log, {
      every: config.audit.checkpointEvery,
      intervalSeconds: config.audit.checkpointIntervalSeconds,
    });
    await checkpointer.start();
    const audit = new AuditWriter(store, clock, { onCommitted: (seq) => checkpointer.noteAppended(seq) });
    // Entries a change committed but a crash kept out of the chain go into it before any request.
    await audit.chainDeferred();
    const reads = new RequestReads(store);
    const risk = new RiskChecks(clock, config.risk);
    const contacts = new TerminalContacts(store, clock, log);
    const statistics = new StatisticsRollUp(
      store,
      clock,
      {
        intervalSeconds: config.statistics.rollUpIntervalSeconds,
        backfillDays: config.statistics.backfillDays,
        snapshotMinutes: config.statistics.snapshotMinutes,
      },
      log,
      (now) => runFundWatches(store, clock, now, log),
    );
    const identity = new IdentityChecks(
      store,
      clock,
      presence,
      config.identityCacheSeconds,
      audit,
      reads,
      risk,
    );
    registry.onCardChange((card) => identity.invalidate(card.cardNumber));
    const analyses = new AnalysisJobs(store, clock, log);
    const pensionRuns = new PensionRuns(
      store,
      clock,
      {
        dayOfMonth: config.pension.runDayOfMonth,
        checkSeconds: config.pension.runCheckSeconds,
        silentCertification: {
          windowMonths: config.pension.silentWindowMonths,
          events: config.pension.silentEvents,
        },
      },
      log,
    );
    const services: Services = {
      config,
      store,
      clock,
      registry,
      identity,
      reads,
      presence,
      hsm,
      settlement: new SettlementEngine(store, clock, presence, config.quoteTtlSeconds, risk, audit),
      risk,
      pensionRuns,
      analyses,
      statistics,
      contacts,
      externalAuth: new ExternalAuthentication(store, hsm, audit),
      hsmSteps: new HsmSteps(store, hsm, audit, pinAuthorisations),
      pinAuthorisations,
      pinBlocks: new PinBlocks(hsm, audit),
      ca,
      log,
      metrics: createMetrics(),
    };
    const { app, handler } = createApp(services);
    statistics.start();
    contacts.start();
    pensionRuns.startSchedule();
    const server: Server = createServer(
      {
        key: ca.serverKeyPem,
        cert: ca.serverCertPem,
        ca: [ca.caCertPem],
        requestCert: true,
        // Checked per route instead: enrolment and operator calls come without a client certificate.
        rejectUnauthorized: false,
        minVersion: 'TLSv1.2',
      },
      handler,
    );
    server.keepAliveTimeout = config.keepAliveSeconds * 1000;
    server.headersTimeout = 20_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `https://${host}:${address.port}`;
    log.info('listening', { url, store: store.dialect, adminTokenPath, hsm: !(hsmStatus instanceof Error) });
    return {
      url,
      caCertPem: ca.caCertPem,
      adminTokenPath,
      adminToken,
      hsm,
      checkpointAudit: () => checkpointer.checkpoint(),
      store,
      pensionRuns,
      app,
      close: async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await pensionRuns.close();
        await analyses.close();
        await statistics.close();
        await contacts.close();
        await audit.close();
        await checkpointer.close();
        await hsm.close();
        await store.close();
      },
    };
  } catch (e) {
    await hsm.close();
    await store.close();
    throw e;
  }
}

/**
 * PostgreSQL: the service should run as a login of the `sscard_service` role, which may not change
 * or remove audit history; a login that may (the schema owner, a superuser) is worth a warning.
 */
async function warnIfAuditWritable(store: Store, log: Logger): Promise<void> {
  const row = await store.get<{ writable: boolean }>(
    "SELECT has_table_privilege('audit_log', 'UPDATE') OR has_table_privilege('audit_log', 'DELETE') AS writable",
  );
  if (row?.writable) {
    log.warn(
      'the database login may UPDATE or DELETE audit_log: run the service as a member of sscard_service',
    );
  }
}
