import type { RegistryClient } from './client.js';
import { type TerminalIdentity, inspectCredentials, installRenewedCredentials } from './credentials.js';
import { generateKeyAndCsr } from './enrolment.js';
import { RegistryError } from './errors.js';
import type { OutboxLogger } from './outbox.js';

/**
 * A terminal renews its own certificate before it expires, over the mutual-TLS channel it already
 * has: a new key pair made here, its CSR sent with the current certificate, the answer stored
 * crash-safely and used for every request after. No operator and no enrolment code is needed
 * while the terminal stays in good standing; a revoked terminal cannot renew.
 */

/** Renew once less than this share of the certificate's lifetime is left. */
const RENEW_WHEN_LEFT = 1 / 3;

export function renewalDue(identity: Pick<TerminalIdentity, 'notBefore' | 'notAfter'>, now: Date): boolean {
  const lifetime = identity.notAfter.getTime() - identity.notBefore.getTime();
  return identity.notAfter.getTime() - now.getTime() < lifetime * RENEW_WHEN_LEFT;
}

export interface RenewalOptions {
  client: RegistryClient;
  dataDir: string;
  /** The CA the terminal trusts; the renewed certificate must be issued by it. */
  caPem: string;
  now?: () => Date;
  log?: OutboxLogger | undefined;
}

/** Renews when due; returns the new identity, or undefined when nothing was due. */
export async function renewIfDue(options: RenewalOptions): Promise<TerminalIdentity | undefined> {
  const { client } = options;
  const now = options.now?.() ?? new Date();
  if (!renewalDue(client.identity, now)) return undefined;
  const { keyPem, csrPem } = await generateKeyAndCsr(client.terminalId);
  const answer = await client.renewCertificate(csrPem);
  const credentials = { keyPem, certPem: answer.certificatePem, caPem: options.caPem };
  // The service must have certified the new key, under the CA we trust, for this terminal.
  const identity = inspectCredentials(credentials);
  if (identity.terminalId !== client.terminalId) {
    throw new RegistryError(
      'REGISTRY_PROTOCOL',
      `the renewed certificate names terminal ${identity.terminalId}, not ${client.terminalId}`,
    );
  }
  await installRenewedCredentials(options.dataDir, keyPem, answer.certificatePem);
  client.useCredentials(credentials);
  options.log?.info('terminal certificate renewed', {
    terminalId: identity.terminalId,
    serial: identity.serial,
    notAfter: identity.notAfter.toISOString(),
  });
  return identity;
}

/**
 * Checks now and then every `intervalMs` (an agent runs for months); a failed renewal is logged and
 * tried at the next check, while the current certificate still serves.
 */
export function startRenewal(options: RenewalOptions & { intervalMs: number }): {
  check(): Promise<void>;
  stop(): void;
} {
  const check = async (): Promise<void> => {
    try {
      await renewIfDue(options);
    } catch (e) {
      options.log?.warn('terminal certificate renewal failed; trying again later', {
        reason: e instanceof Error ? e.message : String(e),
      });
    }
  };
  const timer = setInterval(check, options.intervalMs);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
