import type { PinAuthorisations } from '../bureau-counter/pin-authorisations.js';
import type { Clock } from '../clock.js';
import type { ServiceConfig } from '../config.js';
import type { CardPresence } from '../card-auth/card-presence.js';
import type { PinBlocks } from '../card-auth/pin-blocks.js';
import type { HsmSteps } from '../ministry/hsm-steps.js';
import type { ExternalAuthentication } from '../card-auth/external-auth.js';
import type { HsmClient } from '../hsm/hsm-client.js';
import type { IdentityChecks } from '../identity/identity-check.js';
import type { Logger } from '@sscard/log';
import type { Actor } from '../registry/actor.js';
import type { Registry } from '../registry.js';
import type { RequestReads } from '../terminals/request-reads.js';
import type { RiskChecks } from '../risk/risk-checks.js';
import type { PensionRuns } from '../pension/run-schedule.js';
import type { SettlementEngine } from '../settlement/engine.js';
import type { StatisticsRollUp } from '../statistics/roll-up.js';
import type { Store } from '../store/store.js';
import type { AnalysisJobs } from '../whatif/analysis-jobs.js';
import type { CertificateAuthority } from '../terminals/ca.js';
import type { Operator } from '../terminals/operator-tokens.js';
import type { TerminalContacts } from '../terminals/terminal-contacts.js';
import type { Terminal } from '../terminals/terminals.js';
import type { HttpMetrics } from './metrics.js';

/** What the HTTP layer is given: the domain services of one running instance. */
export interface Services {
  config: ServiceConfig;
  store: Store;
  clock: Clock;
  registry: Registry;
  identity: IdentityChecks;
  /** The batched store reads of terminal requests (certificate status, identity records). */
  reads: RequestReads;
  presence: CardPresence;
  settlement: SettlementEngine;
  /** The risk rules, as configured. */
  risk: RiskChecks;
  /** The monthly runs the service starts: asked for, and on the configured day. */
  pensionRuns: PensionRuns;
  /** Background analyses (policy what-if, pension projection) and their kept results. */
  analyses: AnalysisJobs;
  /** When each terminal was last heard from. */
  contacts: TerminalContacts;
  /** The daily roll-ups behind the statistics reports. */
  statistics: StatisticsRollUp;
  externalAuth: ExternalAuthentication;
  hsmSteps: HsmSteps;
  /** A clerk's authorisation of a card's PIN reload or unblock at a bureau counter. */
  pinAuthorisations: PinAuthorisations;
  pinBlocks: PinBlocks;
  hsm: HsmClient;
  ca: CertificateAuthority;
  log: Logger;
  metrics: HttpMetrics;
}

export type Principal =
  | { kind: 'terminal'; terminal: Terminal }
  | { kind: 'operator'; operator: Operator }
  | { kind: 'anonymous'; address: string };

export interface RouteContext {
  principal: Principal;
  actor: Actor;
  body: unknown;
  query: unknown;
  params: Record<string, string>;
  header(name: string): string | undefined;
  /** What the route's `prepare` started, if anything. */
  prepared?: Promise<unknown> | undefined;
}

export interface RouteResult<Body = unknown> {
  status?: number;
  body: Body;
  /** Raw text responses (metrics); JSON otherwise. */
  contentType?: string;
}
