import { X509Certificate, generateKeyPair } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { type Enrolment, enrolmentSchema } from '@sscard/registry-protocol';
import forge from 'node-forge';
import {
  type CaSource,
  type TerminalCredentials,
  type TerminalIdentity,
  caFingerprint,
  checkValidity,
  inspectCredentials,
  loadCredentials,
  saveCredentials,
} from './credentials.js';
import { RegistryError, isRegistryError } from './errors.js';
import { sendJson } from './https-json.js';
import { problemOf } from './problem.js';

/**
 * Enrolment: the terminal makes its own RSA key pair, sends card-service a certificate signing
 * request with the one-time code an operator issued, and keeps the certificate it gets back. The
 * private key never leaves this machine: the service sees only the CSR (public key + signature).
 *
 * RSA because card-service's CA (node-forge) signs RSA keys only; 2048 bits is its minimum.
 *
 * Trusting the service on the first connection: the CA certificate normally comes from a file
 * the operator installs with the terminal (`caCertPath`), and the enrolment request itself is
 * then checked against it, so a code cannot be phished by a look-alike server. Demo deployments
 * may instead set `trustOnFirstUse`: the agent accepts whichever CA the enrol answer carries,
 * checks that the server's own certificate was issued by it for the requested host, records its
 * fingerprint in `enrolment.json` and logs it for comparison. From then on the stored CA is the
 * only one trusted, exactly as with a configured file.
 */

export const TERMINAL_KEY_BITS = 2048;

export interface RegistrySettings {
  /** card-service's base URL, `https://registry.example:8443`. */
  serviceUrl: string;
  /** The agent's data directory; credentials go to `<dataDir>/registry/`. */
  dataDir: string;
  /** The terminal id the agent is configured with; enrolment fails if the code was issued for another. */
  terminalId?: string | undefined;
  /** PEM file of the CA that issued the service's TLS certificate. */
  caCertPath?: string | undefined;
  /** The operator's one-time enrolment code; only read when the terminal has no valid certificate. */
  enrolmentCode?: string | undefined;
  /** Demo mode only: accept the CA the enrol answer names (see above). */
  trustOnFirstUse?: boolean | undefined;
  /** Per-request deadline; default 15 s. */
  timeoutMs?: number | undefined;
}

export interface EnrolledTerminal {
  credentials: TerminalCredentials;
  identity: TerminalIdentity;
  /** True when this call enrolled the terminal; false when stored credentials were reused. */
  enrolledNow: boolean;
  caSource: CaSource;
}

const generateRsaKey = promisify(generateKeyPair);

/**
 * A fresh RSA key pair and a PKCS#10 request signed with it. Node's native generator, off the
 * event loop: the daemon keeps serving its local API while the key is made.
 */
export async function generateKeyAndCsr(commonName: string): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKey } = await generateRsaKey('rsa', { modulusLength: TERMINAL_KEY_BITS });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  // The service takes the subject from the enrolment code; the CN here only helps a human reading the CSR.
  csr.setSubject([{ name: 'commonName', value: commonName }]);
  csr.sign(forgeKey, forge.md.sha256.create());
  return { keyPem, csrPem: forge.pki.certificationRequestToPem(csr) };
}

/**
 * The terminal's credentials: the stored ones when they are complete and valid, otherwise a new
 * enrolment with the configured code. An expired certificate without a (new) code is reported as
 * CERTIFICATE_EXPIRED; revocation can only be learnt from the service, on the first request.
 */
export async function loadOrEnrol(
  settings: RegistrySettings,
  options: { now?: Date; onTrustOnFirstUse?: (fingerprint: string) => void } = {},
): Promise<EnrolledTerminal> {
  const now = options.now ?? new Date();
  const stored = await loadCredentials(settings.dataDir);
  if (stored) {
    const identity = inspectCredentials(stored.credentials);
    try {
      checkValidity(identity, now);
      checkConfiguredId(settings, identity.terminalId);
      return {
        credentials: stored.credentials,
        identity,
        enrolledNow: false,
        caSource: stored.record?.caSource ?? 'configured',
      };
    } catch (e) {
      if (!isRegistryError(e, 'CERTIFICATE_EXPIRED') || !settings.enrolmentCode) throw e;
      // Expired, and the operator has given a code: enrol again below with a new key.
    }
  }
  if (!settings.enrolmentCode) {
    throw new RegistryError(
      'NOT_ENROLLED',
      'this terminal has no certificate; set an enrolment code from a registry operator (SSCARD_ENROLMENT_CODE)',
    );
  }
  return enrol(settings, settings.enrolmentCode, options);
}

function parseEnrolAnswer(body: unknown): Enrolment {
  const parsed = enrolmentSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RegistryError(
      'REGISTRY_PROTOCOL',
      `the enrol answer does not follow the contract: ${issue.path.join('.') || '(body)'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

async function readCaFile(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (e) {
    throw new RegistryError(
      'NOT_ENROLLED',
      `the CA certificate file ${path} cannot be read`,
      {},
      { cause: e },
    );
  }
  try {
    if (!new X509Certificate(pem).ca) throw new Error('not a CA certificate');
  } catch (e) {
    throw new RegistryError('NOT_ENROLLED', `${path} is not a CA certificate in PEM`, {}, { cause: e });
  }
  return pem;
}

/** Enrols with `code` now, replacing any stored credentials once the service has answered. */
export async function enrol(
  settings: RegistrySettings,
  code: string,
  options: { now?: Date; onTrustOnFirstUse?: (fingerprint: string) => void } = {},
): Promise<EnrolledTerminal> {
  const url = new URL('/v1/enrol', settings.serviceUrl);
  if (url.protocol !== 'https:') {
    throw new RegistryError('NOT_ENROLLED', `the card service URL must be https (got ${url.protocol})`);
  }
  let configuredCa: string | undefined;
  if (settings.caCertPath) configuredCa = await readCaFile(settings.caCertPath);
  else if (!settings.trustOnFirstUse) {
    throw new RegistryError(
      'NOT_ENROLLED',
      'no CA certificate to trust the card service with: set the CA file (cardService.caCertPath), or trust-on-first-use in a demo deployment',
    );
  }

  const { keyPem, csrPem } = await generateKeyAndCsr(settings.terminalId ?? 'sscard terminal');
  const agent = new Agent(
    configuredCa ? { ca: configuredCa, keepAlive: false } : { rejectUnauthorized: false, keepAlive: false },
  );
  let serverCert: X509Certificate | undefined;

  let answer: Awaited<ReturnType<typeof sendJson>>;
  try {
    answer = await sendJson({
      method: 'POST',
      url,
      body: { code, csr: csrPem },
      agent,
      timeoutMs: settings.timeoutMs ?? 15_000,
      onSecureConnect: (socket) => {
        serverCert = socket.getPeerX509Certificate();
      },
    });
  } finally {
    agent.destroy();
  }
  if (answer.status !== 200 && answer.status !== 201) {
    const problem = problemOf(answer);
    throw new RegistryError('ENROLMENT_REFUSED', `card-service refused the enrolment: ${problem.message}`, {
      serviceCode: problem.code,
      status: answer.status,
    });
  }
  const enrolment = parseEnrolAnswer(answer.body);

  let caPem: string;
  let caSource: CaSource;
  if (configuredCa) {
    caPem = configuredCa;
    caSource = 'configured';
  } else {
    caPem = enrolment.caCertificatePem;
    caSource = 'trust-on-first-use';
    checkServerIssuedBy(serverCert, caPem, url.hostname);
    options.onTrustOnFirstUse?.(caFingerprint(caPem));
  }
  const credentials: TerminalCredentials = { keyPem, certPem: enrolment.certificatePem, caPem };
  // The service must have certified our key, under the CA we trust, for the terminal we are.
  const identity = inspectCredentials(credentials);
  checkConfiguredId(settings, identity.terminalId);
  checkValidity(identity, options.now ?? new Date());
  await saveCredentials(settings.dataDir, credentials, {
    terminalId: identity.terminalId,
    serviceUrl: settings.serviceUrl,
    enrolledAt: (options.now ?? new Date()).toISOString(),
    caSource,
    caFingerprint: identity.caFingerprint,
  });
  return { credentials, identity, enrolledNow: true, caSource };
}

function checkServerIssuedBy(serverCert: X509Certificate | undefined, caPem: string, host: string): void {
  const ca = new X509Certificate(caPem);
  const hostOk = serverCert && (isIP(host) ? serverCert.checkIP(host) : serverCert.checkHost(host));
  if (!serverCert || !ca.ca || !serverCert.checkIssued(ca) || !serverCert.verify(ca.publicKey) || !hostOk) {
    throw new RegistryError(
      'REGISTRY_UNTRUSTED',
      `the server at ${host} did not present a certificate issued by the CA its enrol answer names`,
    );
  }
}

function checkConfiguredId(settings: RegistrySettings, certifiedId: string): void {
  if (settings.terminalId && settings.terminalId !== certifiedId) {
    throw new RegistryError(
      'ENROLMENT_REFUSED',
      `the certificate is for terminal ${certifiedId}, but this agent is configured as ${settings.terminalId}`,
      { certifiedTerminalId: certifiedId, configuredTerminalId: settings.terminalId },
    );
  }
}
