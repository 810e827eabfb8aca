import { startRenewal } from './certificate-renewal.js';
import { RegistryClient } from './client.js';
import { CardLifecycleRequests } from './card-lifecycle.js';
import { PensionCertificationRequests } from './pension-certification.js';
import type { TerminalIdentity } from './credentials.js';
import { BankWithdrawalRequests } from './bank-withdrawal.js';
import { DeskSettlementRequests } from './desk-settlement.js';
import { isRegistryError } from './errors.js';
import { type RegistrySettings, loadOrEnrol } from './enrolment.js';
import { OutboxJournal } from './journal.js';
import { Outbox, type OutboxLogger, type OutboxOptions, type ResendReport } from './outbox.js';
import { type CardReadForCheck, type RegistryCheckResult, checkCardWithRegistry } from './registry-check.js';
import type { ExternalAuthenticator } from '../apps/ssse.js';
import {
  type CardPresentProof,
  RemoteCardAuthVerifier,
  remoteExternalAuthenticator,
} from './remote-card-auth.js';

/**
 * Everything the agent needs from card-service, opened once at start: the terminal's credentials
 * (enrolling first if needed), the mutual-TLS client, the outbox journal with its resend loop,
 * and what the card side builds on them.
 */

export interface TerminalRegistryOptions extends RegistrySettings {
  /** The outbox journal's sqlite3 file (config `journal.path`). */
  journalPath: string;
  /** How often pending journal entries are resent; default 60 s. 0 disables the loop (CLI use). */
  resendIntervalMs?: number;
  /** When an entry is parked, and how long answered entries are kept (config `journal`). */
  outbox?: Pick<OutboxOptions, 'parkAfterServerErrors' | 'retentionMs'>;
  /**
   * How often the certificate's remaining life is checked for renewal (also once at open);
   * default 6 hours. 0 disables renewal (CLI use).
   */
  renewalCheckMs?: number;
  /** The terminal's clock for certificate validity and renewal; the system's by default. */
  now?: () => Date;
  log?: OutboxLogger;
}

export interface TerminalRegistry {
  identity: TerminalIdentity;
  /** True when this start enrolled the terminal. */
  enrolledNow: boolean;
  client: RegistryClient;
  outbox: Outbox;
  lifecycle: CardLifecycleRequests;
  /** The annual pension certification (kiosk and bank terminals). */
  certification: PensionCertificationRequests;
  /** The desk's medical settlement requests (hospital and pharmacy terminals). */
  settlement: DeskSettlementRequests;
  /** A bank counter's withdrawals from the card account. */
  withdrawals: BankWithdrawalRequests;
  /** The `CardAuthVerifier` for a terminal without a PSAM. */
  cardAuth: RemoteCardAuthVerifier;
  /** EXTERNAL AUTHENTICATE for a terminal without a PSAM: gen 3 holder data through the HSM module. */
  externalAuth: ExternalAuthenticator;
  /** What the first resend pass at start settled (requests a crash left unanswered). */
  recovered: ResendReport;
  checkCard(read: CardReadForCheck, proof?: CardPresentProof): Promise<RegistryCheckResult>;
  close(): Promise<void>;
}

/**
 * Asks the service whether it still honours this terminal, so that a revoked terminal says so at
 * start rather than at the first citizen's card. A service that cannot be reached is not a
 * reason to stay down: the agent reads cards offline and the outbox catches up later.
 */
async function confirmStanding(client: RegistryClient, log: OutboxLogger | undefined): Promise<void> {
  try {
    await client.terminal();
  } catch (e) {
    if (!isRegistryError(e, 'REGISTRY_UNREACHABLE')) throw e;
    log?.warn('card-service is not reachable; starting without it', { reason: e.message });
  }
}

export async function openTerminalRegistry(options: TerminalRegistryOptions): Promise<TerminalRegistry> {
  const enrolled = await loadOrEnrol(options, {
    onTrustOnFirstUse: (fingerprint) =>
      options.log?.warn('trusting the card-service CA on first use (demo mode); compare its fingerprint', {
        caFingerprint: fingerprint,
      }),
  });
  const client = new RegistryClient({
    serviceUrl: options.serviceUrl,
    credentials: enrolled.credentials,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  let journal: OutboxJournal | undefined;
  let renewal: { check(): Promise<void>; stop(): void } | undefined;
  try {
    await confirmStanding(client, options.log);
    if (options.renewalCheckMs !== 0) {
      const renewalOptions = {
        client,
        dataDir: options.dataDir,
        caPem: enrolled.credentials.caPem,
        ...(options.now ? { now: options.now } : {}),
        log: options.log,
      };
      // Due at start (an agent that was off for long): renewed before anything else is sent.
      renewal = startRenewal({ ...renewalOptions, intervalMs: options.renewalCheckMs ?? 6 * 3600_000 });
      await renewal.check();
    }
    journal = await OutboxJournal.open(options.journalPath, { terminalId: enrolled.identity.terminalId });
    const orphans = await journal.pendingOfOtherTerminals();
    if (orphans.length > 0) {
      options.log?.warn(
        'the journal holds unanswered requests of another terminal id; an operator must settle them',
        {
          count: orphans.length,
          keys: orphans.slice(0, 10).map((e) => e.idempotencyKey),
        },
      );
    }
    const outbox = new Outbox(journal, (entry) => client.deliver(entry), options.log, options.outbox);
    // Registers the settle attempts' resolver before the first pass, which may find some.
    const settlement = new DeskSettlementRequests(outbox, client);
    const withdrawals = new BankWithdrawalRequests(outbox);
    // Requests a crash left unanswered go first, before anything new is journalled.
    const recovered = await outbox.resendPending();
    if (options.resendIntervalMs !== 0) outbox.start(options.resendIntervalMs ?? 60_000);
    const opened = journal;
    return {
      // The certificate in use: renewal replaces it.
      get identity() {
        return client.identity;
      },
      enrolledNow: enrolled.enrolledNow,
      client,
      outbox,
      lifecycle: new CardLifecycleRequests(outbox),
      certification: new PensionCertificationRequests(outbox),
      settlement,
      withdrawals,
      cardAuth: new RemoteCardAuthVerifier(client),
      externalAuth: remoteExternalAuthenticator(client),
      recovered,
      checkCard: (read, proof) => checkCardWithRegistry(client, read, proof),
      close: async () => {
        renewal?.stop();
        await outbox.stop();
        await opened.close();
        client.close();
      },
    };
  } catch (e) {
    renewal?.stop();
    await journal?.close();
    client.close();
    throw e;
  }
}
