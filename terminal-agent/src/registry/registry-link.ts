import type { BankWithdrawalRequests } from './bank-withdrawal.js';
import type { OutboxAnswer } from '@sscard/agent-protocol';
import type {
  PinBlockTranslation,
  PinBlockTranslationRequest,
  PinManagementOperation,
} from '@sscard/registry-protocol';
import type {
  Challenge,
  Clerk,
  PinAuthorisation,
  PinAuthorisationRequest,
  PinRedemption,
  TerminalSelf,
} from '@sscard/registry-protocol';
import { join } from 'node:path';
import type { ExternalAuthenticator } from '../apps/ssse.js';
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '@sscard/log';
import type { DeskSettlementRequests } from './desk-settlement.js';
import { enrol } from './enrolment.js';
import { REGISTRY_ERROR_CODES, RegistryError, type RegistryErrorCode, isRegistryError } from './errors.js';
import type { TemporaryLossResult } from './card-lifecycle.js';
import type { CertificationResult } from './pension-certification.js';
import type {
  BalanceEnquiryAnswer,
  BalanceEnquiryBody,
  CitizenSummary,
} from '@sscard/registry-protocol/pension';
import type { TerminalIdentity } from './credentials.js';
import { outboxView } from './outbox-view.js';
import type { CardReadForCheck, RegistryCheckResult } from './registry-check.js';
import type { CardPresentProof, PresenceChallenger } from './remote-card-auth.js';
import { type TerminalRegistry, openTerminalRegistry } from './terminal-registry.js';
import type { CardAuthVerifier } from '../verification/card-auth-verifier.js';

/**
 * The agent's hold on card-service, kept alive for the life of the daemon. The registry is a
 * second opinion on a card, never a condition for reading one: whatever the service says (or
 * does not say), the agent keeps serving local reads, and the state it last learnt is what
 * `/healthz` and `sscard status` show the operator.
 */

export type RegistryState =
  /** No `cardService.url`: the terminal works without a registry. */
  | 'disabled'
  /** Enrolling or opening the journal. */
  | 'starting'
  /** The service answered the last request. */
  | 'connected'
  /** The service did not answer; journalled requests wait in the outbox. */
  | 'unreachable'
  /** The service revoked this terminal: it needs a new enrolment code. */
  | 'revoked'
  /** The terminal cannot talk to the service until an operator acts (no certificate, expired, untrusted). */
  | 'refused';

export interface RegistryHealth {
  state: RegistryState;
  /** The RegistryError code behind a state other than connected. */
  code?: string;
  /** What the operator should do; never personal data. */
  message?: string;
  terminalId?: string;
  terminalType?: string;
  region?: string;
  certificateNotAfter?: string;
  caFingerprint?: string;
  /** Journalled requests the service has not answered yet (parked ones not counted). */
  pendingRequests?: number;
  /** Requests parked after repeated 5xx answers: an operator must look at them (`sscard outbox`). */
  parkedRequests?: number;
}

/** The part of the configuration the registry link reads. */
export type RegistryLinkConfig = Pick<AgentConfig, 'cardService' | 'dataDir' | 'journal'> & {
  terminal: Pick<AgentConfig['terminal'], 'id'>;
};

export interface RegistryLinkOptions {
  config: RegistryLinkConfig;
  log: Logger;
  /** How often a failed start is tried again; default `cardService.resendIntervalMs` or 60 s. */
  retryMs?: number;
  /**
   * For one command of the CLI: no resend loop, no retries and no enrolment with the configured
   * code (enrolling is `sscard enrol`'s job, or the daemon's).
   */
  oneShot?: boolean;
}

const OPERATOR_MESSAGES: Partial<Record<string, string>> = {
  TERMINAL_REVOKED:
    'card-service has revoked this terminal; ask a registry operator for a new enrolment code and run "sscard enrol --code CODE". Card reads continue without registry checks.',
  CERTIFICATE_EXPIRED:
    'the terminal certificate has expired; ask a registry operator for a new enrolment code and run "sscard enrol --code CODE". Card reads continue without registry checks.',
  CERTIFICATE_NOT_YET_VALID:
    "the terminal certificate is not valid yet: check this machine's clock. Card reads continue without registry checks.",
  NOT_ENROLLED:
    'this terminal is not enrolled with card-service; set cardService.enrolmentCode (SSCARD_ENROLMENT_CODE) or run "sscard enrol --code CODE". Card reads continue without registry checks.',
  ENROLMENT_REFUSED:
    'card-service refused the enrolment; ask a registry operator for a new code. Card reads continue without registry checks.',
  REGISTRY_UNTRUSTED:
    'the card-service server is not trusted by the configured CA (cardService.caCertPath); check the URL and the CA file. Card reads continue without registry checks.',
  REGISTRY_UNREACHABLE:
    'card-service cannot be reached; card reads continue without registry checks and journalled requests are sent when it answers again.',
};

function operatorMessage(e: RegistryError): string {
  const advice = OPERATOR_MESSAGES[e.code];
  return advice ? `${advice} (${e.message})` : e.message;
}

function stateFor(code: string): RegistryState {
  if (code === 'REGISTRY_UNREACHABLE') return 'unreachable';
  if (code === 'TERMINAL_REVOKED') return 'revoked';
  return 'refused';
}

export class RegistryLink {
  readonly #options: RegistryLinkOptions;
  readonly #log: Logger;
  #registry: TerminalRegistry | undefined;
  #health: RegistryHealth;
  #retry: NodeJS.Timeout | undefined;
  #opening: Promise<void> | undefined;
  #closed = false;

  constructor(options: RegistryLinkOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#health = options.config.cardService.url ? { state: 'starting' } : { state: 'disabled' };
  }

  get enabled(): boolean {
    return this.#health.state !== 'disabled';
  }

  /**
   * The service's card-authentication verifier while the terminal is in good standing; undefined
   * otherwise, so that a terminal the service no longer serves does not fail every card. Ask at
   * every card: the answer follows the link's state.
   */
  cardAuthVerifier(): CardAuthVerifier | undefined {
    const inner = this.#registry?.cardAuth;
    if (!inner || !this.#inGoodStanding()) return undefined;
    // The card check is often the first request after a revocation or an outage: learn from it.
    return {
      name: inner.name,
      challenge: (request) => this.#observe(() => inner.challenge(request)),
      verify: (request) => this.#observe(() => inner.verify(request)),
    };
  }

  /**
   * EXTERNAL AUTHENTICATE through the service's HSM module, under the same rule as
   * `cardAuthVerifier`: only while the service serves this terminal.
   */
  externalAuthenticator(): ExternalAuthenticator | undefined {
    const inner = this.#registry?.externalAuth;
    if (!inner || !this.#inGoodStanding()) return undefined;
    return async (request) => {
      try {
        return await this.#observe(() => inner(request));
      } catch (e) {
        // The service cannot give the cryptogram (unreachable, this terminal refused, a card it
        // does not know, no HSM keys): the card is read as without a PSAM, its public fields only.
        if (isRegistryError(e)) return undefined;
        throw e;
      }
    };
  }

  /** Enrolled and not refused: reachable now, or unreachable for a while (the request may get through). */
  #inGoodStanding(): boolean {
    const state = this.#health.state;
    return state === 'connected' || state === 'unreachable';
  }

  async #observe<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.#connected();
      return result;
    } catch (e) {
      if (isRegistryError(e) && e.code === 'REFUSED') this.#connected();
      else if (isRegistryError(e) && e.code !== 'REGISTRY_PROTOCOL') {
        this.#fail(e);
        if (e.code === 'REGISTRY_UNREACHABLE') this.#scheduleRetry();
      }
      throw e;
    }
  }

  async health(): Promise<RegistryHealth> {
    const journal = this.#registry?.outbox.journal;
    const pending = await journal?.pending().catch(() => undefined);
    const parked = await journal?.parked().catch(() => undefined);
    return {
      ...this.#health,
      ...(pending ? { pendingRequests: pending.length } : {}),
      ...(parked ? { parkedRequests: parked.length } : {}),
    };
  }

  /** The outbox's unanswered requests, for the operator. */
  outbox(): Promise<OutboxAnswer> {
    return outboxView(this.#registry?.outbox.journal);
  }

  /**
   * Puts a parked request back into the resend passes and starts a pass; undefined when the key
   * names no parked request of this terminal.
   */
  async unpark(idempotencyKey: string): Promise<OutboxAnswer | undefined> {
    const registry = this.#registry;
    const seq = registry?.outbox.journal.seqOfKey(idempotencyKey);
    if (!registry || seq === undefined || !(await registry.outbox.journal.unpark(seq))) return undefined;
    this.#log.info('outbox: parked request put back by an operator', { idempotencyKey });
    void registry.outbox.resendPending().catch(() => undefined);
    return this.outbox();
  }

  /** Opens the link in the background; `ready()` resolves when the first attempt has settled. */
  start(): void {
    if (!this.enabled || this.#opening) return;
    this.#opening = this.#open().finally(() => {
      this.#opening = undefined;
    });
  }

  async ready(): Promise<void> {
    await this.#opening;
  }

  async #open(): Promise<void> {
    const { config } = this.#options;
    const service = config.cardService;
    try {
      const registry = await openTerminalRegistry({
        serviceUrl: service.url!,
        dataDir: config.dataDir,
        terminalId: config.terminal.id,
        caCertPath: service.caCertPath,
        enrolmentCode: this.#options.oneShot ? undefined : service.enrolmentCode,
        trustOnFirstUse: service.trustOnFirstUse,
        journalPath: config.journal.path ?? join(config.dataDir, 'journal.sqlite3'),
        outbox: {
          parkAfterServerErrors: config.journal.parkAfterServerErrors,
          retentionMs: config.journal.retentionDays * 24 * 3600_000,
        },
        ...(this.#options.oneShot
          ? { resendIntervalMs: 0, renewalCheckMs: 0 }
          : service.resendIntervalMs
            ? { resendIntervalMs: service.resendIntervalMs }
            : {}),
        log: this.#log,
      });
      if (this.#closed) {
        await registry.close();
        return;
      }
      this.#registry = registry;
      this.#identify(registry.identity);
      if (registry.enrolledNow) this.#logEnrolment(registry.identity);
      // openTerminalRegistry tolerates an unreachable service; one request tells which it was.
      await this.#probe();
      if (registry.recovered.answered.length > 0) {
        this.#log.info('journalled requests answered at start', {
          count: registry.recovered.answered.length,
        });
      }
    } catch (e) {
      if (!isRegistryError(e)) {
        this.#log.error('card-service link failed to open', { error: e });
        this.#set({ state: 'refused', code: 'REGISTRY_FAILURE', message: (e as Error).message });
        return;
      }
      this.#fail(e);
      // Only an unreachable service is worth trying again unattended; the others need an operator.
      if (e.code === 'REGISTRY_UNREACHABLE') this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry || this.#options.oneShot) return;
    const ms = this.#options.retryMs ?? this.#options.config.cardService.resendIntervalMs ?? 60_000;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#registry) {
        void this.#probe().then(() => {
          if (this.#health.state === 'unreachable') this.#scheduleRetry();
        });
      } else {
        this.start();
      }
    }, ms).unref();
  }

  async #probe(): Promise<void> {
    const registry = this.#registry;
    if (!registry) return;
    try {
      await registry.client.terminal();
      this.#connected();
    } catch (e) {
      if (!isRegistryError(e)) throw e;
      this.#fail(e);
      if (e.code === 'REGISTRY_UNREACHABLE') this.#scheduleRetry();
    }
  }

  /**
   * The service's challenges for card-present proofs, under the same rule as `cardAuthVerifier`:
   * only while the service serves this terminal. A challenge the service cannot give now is no
   * proof, never a failed read.
   */
  presenceChallenger(): PresenceChallenger | undefined {
    const client = this.#registry?.client;
    if (!client || !this.#inGoodStanding()) return undefined;
    return async (cardIdCode) => {
      try {
        return await this.#observe(() => client.createChallenge(cardIdCode));
      } catch (e) {
        if (isRegistryError(e)) return undefined;
        throw e;
      }
    };
  }

  /**
   * The registry's view of a card just read, with the card's answer to a presence challenge when
   * the read made one; never throws for a registry problem.
   */
  async checkCard(read: CardReadForCheck, proof?: CardPresentProof): Promise<RegistryCheckResult> {
    if (!this.enabled) {
      return {
        status: 'skipped',
        valid: false,
        reason: 'REGISTRY_NOT_CONFIGURED',
        message: 'no card-service is configured on this terminal',
        cardPresent: false,
      };
    }
    const registry = this.#registry;
    if (!registry || this.#health.state === 'revoked') {
      return {
        status: 'unavailable',
        valid: false,
        reason: this.#health.code ?? 'REGISTRY_STARTING',
        message: this.#health.message ?? 'the connection to card-service is being set up',
        cardPresent: false,
      };
    }
    const result = await registry.checkCard(read, proof);
    if (result.status === 'valid' || result.status === 'invalid') this.#connected();
    else if (result.status === 'unavailable' && result.reason) {
      const code = result.reason;
      if (code === 'REGISTRY_UNREACHABLE' || code === 'TERMINAL_REVOKED' || code.startsWith('CERTIFICATE_')) {
        this.#fail(new RegistryError(code as RegistryError['code'], result.message));
        if (code === 'REGISTRY_UNREACHABLE') this.#scheduleRetry();
      }
    }
    return result;
  }

  /**
   * Journals and sends a temporary loss report with the card's present proof. Throws
   * RegistryError: REGISTRY_UNREACHABLE with the journal key when the report is kept for the
   * outbox to deliver, or the service's refusal.
   */
  async reportTemporaryLoss(cardNumber: string, proof: CardPresentProof): Promise<TemporaryLossResult> {
    const registry = this.#usable();
    return this.#observe(() => registry.lifecycle.reportTemporaryLoss(cardNumber, proof));
  }

  /**
   * Journals and sends a pension certification with the card's payment proof. Throws
   * RegistryError: REGISTRY_UNREACHABLE with the journal key when it is kept for the outbox to
   * deliver, or the service's refusal.
   */
  async certifyPension(cardNumber: string, proof: CardPresentProof): Promise<CertificationResult> {
    const registry = this.#usable();
    return this.#observe(() => registry.certification.certify(cardNumber, proof));
  }

  /** The kiosk's summary of the card's holder (pension, medical account), on the card's payment proof. */
  async citizenSummary(cardNumber: string, proof: CardPresentProof): Promise<CitizenSummary> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.citizenSummary(cardNumber, proof));
  }

  /** A bank counter's balance enquiry, on the bank PIN and the card's ARQC for it. */
  async enquireBalance(request: BalanceEnquiryBody): Promise<BalanceEnquiryAnswer> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.enquireBalance(request));
  }

  /**
   * Relays the first step of a two-step ministry call to the bureau's HSM (card-service) and
   * answers its key for the second step. Throws RegistryError: the service unreachable, this
   * terminal not enrolled or refused, or the card refused (`REFUSED` with the service's reason).
   */
  async hsmStep(
    request:
      | { operation: 'read'; step1: string }
      | { operation: PinManagementOperation; step1: string; authorisationId: string },
  ): Promise<string> {
    const registry = this.#usable();
    const answer = await this.#observe(() =>
      request.operation === 'read'
        ? registry.client.hsmReadStep(request.step1)
        : registry.client.hsmPinStep(request.operation, request.step1, request.authorisationId),
    );
    if (!answer.verified) {
      throw new RegistryError('REFUSED', `the bureau's HSM refused the card: ${answer.reason}`, {
        serviceCode: answer.reason,
      });
    }
    return answer.pKey;
  }

  /** A clerk signing in at this bureau counter (card-service checks the token's scope). */
  async signInClerk(clerkToken: string): Promise<Clerk> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.signInClerk(clerkToken));
  }

  /** A clerk's authorisation of one PIN reload or unblock for the card in the reader. */
  async authorisePin(request: PinAuthorisationRequest): Promise<PinAuthorisation> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.authorisePin(request));
  }

  /** Spends an authorisation before the PSAM makes the PIN command's MAC. */
  async redeemPinAuthorisation(
    authorisationId: string,
    request: { operation: PinManagementOperation; cardNumber: string },
  ): Promise<PinRedemption> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.redeemPinAuthorisation(authorisationId, request));
  }

  /**
   * The terminal type the certificate in use names (kiosk, hospital, pharmacy, bank), which is
   * what card-service goes by; undefined while the terminal has no certificate loaded.
   */
  get enrolledType(): string | undefined {
    return this.#registry?.identity.type;
  }

  /** The terminal id, type and region the certificate in use names; undefined without one. */
  get enrolledIdentity(): Pick<TerminalIdentity, 'terminalId' | 'type' | 'region'> | undefined {
    const identity = this.#registry?.identity;
    return identity && { terminalId: identity.terminalId, type: identity.type, region: identity.region };
  }

  /** The terminal as card-service knows it now, with the institution a desk settles for. */
  async terminalSelf(): Promise<TerminalSelf> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.terminal());
  }

  /**
   * A single-use challenge for the card's payment proof at a kiosk or bank counter (a desk's
   * settle answers the challenge that came with its quote instead). Unlike `presenceChallenger`, a
   * challenge that cannot be had is an error: the service acts on nothing without the proof.
   */
  async paymentChallenge(cardIdCode: string): Promise<Challenge> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.createChallenge(cardIdCode));
  }

  /**
   * Runs `work` on the desk's settlement requests, learning the link's state from it. Throws
   * RegistryError when the link is not open (NOT_ENROLLED, REGISTRY_UNREACHABLE…).
   */
  async settlement<T>(work: (requests: DeskSettlementRequests) => Promise<T>): Promise<T> {
    const registry = this.#usable();
    return this.#observe(() => work(registry.settlement));
  }

  /** Runs `work` on the bank counter's withdrawal requests, learning the link's state from it. */
  async withdrawals<T>(work: (requests: BankWithdrawalRequests) => Promise<T>): Promise<T> {
    const registry = this.#usable();
    return this.#observe(() => work(registry.withdrawals));
  }

  /** A bank PIN block from the PIN pad, under the zone PIN key (card-service's HSM). */
  async translatePinBlock(request: PinBlockTranslationRequest): Promise<PinBlockTranslation> {
    const registry = this.#usable();
    return this.#observe(() => registry.client.translatePinBlock(request));
  }

  /**
   * Enrols now with an operator's code (replacing any stored certificate) and reopens the link:
   * how a revoked or expired terminal comes back without a restart.
   */
  async enrolNow(code: string): Promise<TerminalIdentity> {
    const { config } = this.#options;
    const service = config.cardService;
    if (!service.url) {
      throw new RegistryError('NOT_ENROLLED', 'no card-service is configured (cardService.url)');
    }
    await this.#opening;
    const enrolled = await enrol(
      {
        serviceUrl: service.url,
        dataDir: config.dataDir,
        terminalId: config.terminal.id,
        caCertPath: service.caCertPath,
        trustOnFirstUse: service.trustOnFirstUse,
      },
      code,
      {
        onTrustOnFirstUse: (fingerprint) =>
          this.#log.warn('trusting the card-service CA on first use (demo mode); compare its fingerprint', {
            caFingerprint: fingerprint,
          }),
      },
    );
    this.#logEnrolment(enrolled.identity);
    const previous = this.#registry;
    this.#registry = undefined;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    await previous?.close();
    this.#set({ state: 'starting' });
    this.start();
    await this.ready();
    return enrolled.identity;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    await this.#opening?.catch(() => undefined);
    await this.#registry?.close();
    this.#registry = undefined;
  }

  #usable(): TerminalRegistry {
    if (!this.enabled) {
      throw new RegistryError('NOT_ENROLLED', 'no card-service is configured on this terminal');
    }
    const registry = this.#registry;
    if (!registry) {
      const code = this.#health.code;
      const known = (REGISTRY_ERROR_CODES as readonly string[]).includes(code ?? '');
      throw new RegistryError(
        known ? (code as RegistryErrorCode) : 'REGISTRY_UNREACHABLE',
        this.#health.message ?? 'the connection to card-service is being set up',
        { outcomeUnknown: false },
      );
    }
    return registry;
  }

  #identify(identity: TerminalIdentity): void {
    this.#health = {
      ...this.#health,
      terminalId: identity.terminalId,
      terminalType: identity.type,
      region: identity.region,
      certificateNotAfter: identity.notAfter.toISOString(),
      caFingerprint: identity.caFingerprint,
    };
  }

  #logEnrolment(identity: TerminalIdentity): void {
    this.#log.info('terminal enrolled with card-service', {
      terminal: identity.terminalId,
      type: identity.type,
      region: identity.region,
      certificateSerial: identity.serial,
      certificateNotAfter: identity.notAfter.toISOString(),
      caFingerprint: identity.caFingerprint,
    });
  }

  #connected(): void {
    if (this.#health.state === 'connected') return;
    this.#set({ state: 'connected' });
  }

  #fail(e: RegistryError): void {
    const state = stateFor(e.code);
    if (this.#health.state === state && this.#health.code === e.code) return;
    this.#set({ state, code: e.code, message: operatorMessage(e) });
  }

  #set(next: Pick<RegistryHealth, 'state' | 'code' | 'message'>): void {
    const { state: _s, code: _c, message: _m, ...identity } = this.#health;
    this.#health = { ...identity, ...next };
    const fields = { state: next.state, code: next.code, terminal: identity.terminalId };
    if (next.state === 'connected') this.#log.info('card-service connected', fields);
    else if (next.state === 'starting') this.#log.info('card-service link starting', fields);
    else if (next.state === 'unreachable') this.#log.warn(next.message ?? 'card-service unreachable', fields);
    else this.#log.error(next.message ?? 'card-service refuses this terminal', fields);
  }
}
