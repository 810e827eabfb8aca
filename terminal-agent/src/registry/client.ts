import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CardAuthRequest,
  type CardAuthVerdict,
  type Clerk,
  clerkSchema,
  type PinAuthorisation,
  type PinAuthorisationRequest,
  pinAuthorisationSchema,
  type PinRedemption,
  pinRedemptionSchema,
  type Challenge,
  type Enrolment,
  type ExternalAuthAnswer,
  type ExternalAuthRequest,
  type HsmStepAnswer,
  type PinBlockTranslation,
  type PinBlockTranslationRequest,
  pinBlockTranslationSchema,
  type PinManagementOperation,
  hsmStepAnswerSchema,
  type IdentityCheckRequest,
  type TerminalSelf,
  cardAuthVerdictSchema,
  challengeSchema,
  enrolmentSchema,
  externalAuthAnswerSchema,
  identityCheckResultSchema,
  terminalSelfSchema,
} from '@sscard/registry-protocol';
import {
  attemptStatusSchema,
  reconciliationDetailSchema,
  reconciliationTotalsSchema,
} from '@sscard/registry-protocol/settlement';
import {
  type CitizenSummary,
  citizenSummarySchema,
  type BalanceEnquiryAnswer,
  type BalanceEnquiryBody,
  balanceEnquiryAnswerSchema,
} from '@sscard/registry-protocol/pension';
import type { z } from 'zod';
import {
  type TerminalCredentials,
  type TerminalIdentity,
  checkValidity,
  inspectCredentials,
} from './credentials.js';
import { RegistryError, isRegistryError } from './errors.js';
import { type JsonAnswer, sendJson } from './https-json.js';
import type { JournalEntry } from './journal.js';
import { refusalError } from './problem.js';

/**
 * An identity check's verdict as a terminal reads it: the refusal as the service named it, which
 * may be one this terminal's build does not know yet.
 */
export type IdentityCheckAnswer = z.output<typeof identityCheckResultSchema>;

/**
 * The terminal's client for card-service: mutual TLS with the terminal's own key and certificate,
 * trusting only the CA it enrolled with, over one keep-alive agent. Calls that cannot change
 * anything (reads, checks) are retried on transport failures and on 429/502/503/504; calls that
 * can are sent once, and journalled requests are resent by the outbox with their idempotency key.
 */

export interface RegistryClientOptions {
  serviceUrl: string;
  credentials: TerminalCredentials;
  /** Per attempt, connection to last byte. Default 10 s. */
  timeoutMs?: number;
  /** Attempts for retryable calls, the first included. Default 3. */
  maxAttempts?: number;
  /** First back-off; doubled per attempt. Default 200 ms. */
  retryDelayMs?: number;
  now?: () => Date;
}

interface CallOptions {
  /** Safe to send twice: nothing on the service changes, or the idempotency key makes it so. */
  retryable: boolean;
  idempotencyKey?: string;
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

function tlsAgent(credentials: TerminalCredentials): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: 8,
    // Below the service's keep-alive timeout (`keepAliveSeconds`, 75 s by default), so the agent
    // drops an idle socket before the server does and a request is rarely written into a closing
    // connection, yet a terminal between two citizens keeps its connection instead of paying a
    // new mutual-TLS handshake at every card.
    timeout: 60_000,
    key: credentials.keyPem,
    cert: credentials.certPem,
    ca: credentials.caPem,
    minVersion: 'TLSv1.2',
  });
}
const MAX_RETRY_AFTER_MS = 5_000;

export class RegistryClient {
  #identity: TerminalIdentity;
  private agent: Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly now: () => Date;

  constructor(options: RegistryClientOptions) {
    this.base = new URL(options.serviceUrl);
    if (this.base.protocol !== 'https:') {
      throw new RegistryError(
        'NOT_ENROLLED',
        `the card service URL must be https (got ${this.base.protocol})`,
      );
    }
    this.#identity = inspectCredentials(options.credentials);
    this.agent = tlsAgent(options.credentials);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.now = options.now ?? (() => new Date());
  }

  /** What the certificate in use says about the terminal. */
  get identity(): TerminalIdentity {
    return this.#identity;
  }

  get terminalId(): string {
    return this.#identity.terminalId;
  }

  /**
   * Continues with renewed credentials of the same terminal: requests from now on use them;
   * connections made with the old certificate are closed once their requests finish.
   */
  useCredentials(credentials: TerminalCredentials): void {
    const identity = inspectCredentials(credentials);
    if (identity.terminalId !== this.#identity.terminalId) {
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        `renewed credentials name terminal ${identity.terminalId}, not ${this.#identity.terminalId}`,
      );
    }
    const old = this.agent;
    this.agent = tlsAgent(credentials);
    this.#identity = identity;
    // Requests on their way finish on the old connections (each within its timeout and retries).
    setTimeout(() => old.destroy(), this.timeoutMs * this.maxAttempts + 5_000).unref();
  }

  /**
   * A new certificate for a new key of this terminal, asked for over the current certificate.
   * Not retried: every answer cuts the earlier certificates short, so the caller tries again
   * later instead.
   */
  async renewCertificate(csrPem: string): Promise<Enrolment> {
    return this.call('POST', '/v1/terminal/certificate', { csr: csrPem }, enrolmentSchema, {
      retryable: false,
    });
  }

  /** The terminal as the service sees it: a start-up check that the certificate is still honoured. */
  async terminal(): Promise<TerminalSelf> {
    return this.call('GET', '/v1/terminal', undefined, terminalSelfSchema, { retryable: true });
  }

  /** Is the card just read known, genuine (with `proof`) and valid now; whose; what coverage. */
  async identityCheck(request: IdentityCheckRequest): Promise<IdentityCheckAnswer> {
    return this.call('POST', '/v1/identity/check', request, identityCheckResultSchema, { retryable: true });
  }

  /**
   * The kiosk's summary of the holder of the card in its reader. Not retried: the first attempt
   * spends the proof's challenge; the citizen asks again with a new proof.
   */
  async citizenSummary(
    cardNumber: string,
    proof: { challengeId: string; cryptogram: string },
  ): Promise<CitizenSummary> {
    return this.call('POST', '/v1/citizens/summary', { cardNumber, proof }, citizenSummarySchema, {
      retryable: false,
    });
  }

  /**
   * A bank counter's balance enquiry: the bank PIN block and the card's ARQC for the enquiry.
   * Retried under one idempotency key: a retry after a lost answer gets the answer the service
   * stored, where the card's counter sent again would be refused as a replay.
   */
  async enquireBalance(request: BalanceEnquiryBody): Promise<BalanceEnquiryAnswer> {
    return this.call('POST', '/v1/pensions/balance-enquiries', request, balanceEnquiryAnswerSchema, {
      retryable: true,
      idempotencyKey: `${this.terminalId}:enquiry:${randomUUID()}`,
    });
  }

  /**
   * A single-use challenge for INTERNAL AUTHENTICATE. Retried: a duplicate only leaves an unused
   * challenge behind, which expires.
   */
  async createChallenge(cardIdCode: string): Promise<Challenge> {
    return this.call('POST', '/v1/challenges', { cardIdCode }, challengeSchema, { retryable: true });
  }

  /**
   * The service's verdict on a card's answer. Not retried: the first attempt spends the challenge,
   * so a retry after a lost answer would be refused as CHALLENGE_USED; the caller starts over with
   * a new challenge instead.
   */
  async verifyCardAuth(request: CardAuthRequest): Promise<CardAuthVerdict> {
    return this.call('POST', '/v1/card-auth/verify', request, cardAuthVerdictSchema, { retryable: false });
  }

  /**
   * The EXTERNAL AUTHENTICATE cryptogram over the card's GET CHALLENGE value (hex, 8 bytes), from
   * the service's HSM module: how a terminal without a PSAM reads a gen 3 card's holder data.
   * Retried: the answer depends on the challenge only, and the service keeps no state for it.
   */
  async externalAuthenticate(request: ExternalAuthRequest): Promise<ExternalAuthAnswer> {
    return this.call('POST', '/v1/card-auth/external', request, externalAuthAnswerSchema, {
      retryable: true,
    });
  }

  /**
   * The bureau HSM's key for the second step of a two-step ministry read. Retried: the answer
   * depends only on the step's values, so a second attempt gives the same key.
   */
  async hsmReadStep(step1: string): Promise<HsmStepAnswer> {
    return this.call('POST', '/v1/card-auth/hsm-read', { step1 }, hsmStepAnswerSchema, { retryable: true });
  }

  /**
   * The bureau HSM's key (with the MAC) for the second step of a PIN reload or unblock, spending
   * the clerk's authorisation. Not retried: the service audits each answer as a PIN change made
   * at this counter, and the authorisation serves once.
   */
  async hsmPinStep(
    operation: PinManagementOperation,
    step1: string,
    authorisationId: string,
  ): Promise<HsmStepAnswer> {
    return this.call(
      'POST',
      '/v1/card-auth/hsm-pin',
      { operation, step1, authorisationId },
      hsmStepAnswerSchema,
      { retryable: false },
    );
  }

  /** A clerk signing in at this bureau counter with their operator token. Not retried: each is audited. */
  async signInClerk(clerkToken: string): Promise<Clerk> {
    return this.call('POST', '/v1/pin-authorisations/clerk', { clerkToken }, clerkSchema, {
      retryable: false,
    });
  }

  /**
   * A clerk's authorisation of one PIN reload or unblock for the card in this counter's reader.
   * Not retried: the first attempt spends the card's challenge.
   */
  async authorisePin(request: PinAuthorisationRequest): Promise<PinAuthorisation> {
    return this.call('POST', '/v1/pin-authorisations', request, pinAuthorisationSchema, {
      retryable: false,
    });
  }

  /** Spends an authorisation before this counter's PSAM makes the PIN command's MAC. Not retried: it serves once. */
  async redeemPinAuthorisation(
    authorisationId: string,
    request: { operation: PinManagementOperation; cardNumber: string },
  ): Promise<PinRedemption> {
    return this.call(
      'POST',
      `/v1/pin-authorisations/${encodeURIComponent(authorisationId)}/redeem`,
      request,
      pinRedemptionSchema,
      { retryable: false },
    );
  }

  /** What became of this desk's settle attempt `attemptKey` (settled, voided, unknown…). Changes nothing. */
  async settlementAttempt(attemptKey: string): Promise<z.output<typeof attemptStatusSchema>> {
    return this.call(
      'GET',
      `/v1/settlement/attempts/${encodeURIComponent(attemptKey)}`,
      undefined,
      attemptStatusSchema,
      { retryable: true },
    );
  }

  /** 3201: the institution's totals for a business day. */
  async reconciliationTotals(date: string): Promise<z.output<typeof reconciliationTotalsSchema>> {
    return this.call(
      'GET',
      `/v1/settlement/reconciliation?date=${date}`,
      undefined,
      reconciliationTotalsSchema,
      {
        retryable: true,
      },
    );
  }

  /** 3202: the institution's settlements of a business day. */
  async reconciliationDetail(date: string): Promise<z.output<typeof reconciliationDetailSchema>> {
    return this.call(
      'GET',
      `/v1/settlement/reconciliation/detail?date=${date}`,
      undefined,
      reconciliationDetailSchema,
      { retryable: true },
    );
  }

  /**
   * A bank PIN block from this counter's PIN pad, re-enciphered by card-service's HSM under the
   * zone PIN key. Retried: the translation depends only on the block.
   */
  async translatePinBlock(request: PinBlockTranslationRequest): Promise<PinBlockTranslation> {
    return this.call('POST', '/v1/pin-blocks/translate', request, pinBlockTranslationSchema, {
      retryable: true,
    });
  }

  /** Sends a journalled request once, with its idempotency key; the outbox decides what the answer means. */
  async deliver(entry: JournalEntry): Promise<JsonAnswer> {
    if (entry.terminalId !== this.terminalId) {
      throw new RegistryError(
        'REFUSED',
        `journal entry ${entry.idempotencyKey} belongs to terminal ${entry.terminalId}, not ${this.terminalId}`,
      );
    }
    return this.send(entry.method, entry.path, entry.body, {
      retryable: false,
      idempotencyKey: entry.idempotencyKey,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private async call<S extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: S,
    options: CallOptions,
  ): Promise<z.output<S>> {
    const answer = await this.send(method, path, body, options);
    const where = `${method} ${path}`;
    if (answer.status < 200 || answer.status >= 300) throw refusalError(answer, where);
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RegistryError(
        'REGISTRY_PROTOCOL',
        `${where}: unexpected answer at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
        { status: answer.status },
      );
    }
    return parsed.data;
  }

  /** One request, retried as `options` allows; answers of any status are returned. */
  private async send(method: string, path: string, body: unknown, options: CallOptions): Promise<JsonAnswer> {
    // The service would refuse an expired certificate too, but cannot say it is expired rather than revoked.
    checkValidity(this.identity, this.now());
    const url = new URL(path, this.base);
    const attempts = options.retryable ? this.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let answer: JsonAnswer | undefined;
      try {
        answer = await sendJson({
          method,
          url,
          body,
          agent: this.agent,
          timeoutMs: this.timeoutMs,
          ...(options.idempotencyKey ? { headers: { 'idempotency-key': options.idempotencyKey } } : {}),
        });
      } catch (e) {
        if (attempt >= attempts || !isRegistryError(e, 'REGISTRY_UNREACHABLE')) throw e;
      }
      if (answer && (attempt >= attempts || !RETRYABLE_STATUS.has(answer.status))) return answer;
      await sleep(this.backoff(attempt, answer));
    }
  }

  private backoff(attempt: number, answer: JsonAnswer | undefined): number {
    const retryAfter = Number(answer?.headers['retry-after']);
    if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS);
    return this.retryDelayMs * 2 ** (attempt - 1);
  }
}
