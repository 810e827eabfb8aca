import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EnrolAnswer } from '@sscard/agent-protocol';
import { readIfExists, syncDirectory, writeAtomically } from '@sscard/secret-files';
import { RegistryError } from './errors.js';

/**
 * The terminal's identity on disk, under `<dataDir>/registry/`:
 *   terminal-key.pem   the private key, generated here and never sent anywhere (mode 0600)
 *   terminal-cert.pem  the certificate card-service's CA issued for it
 *   ca-cert.pem        the CA the terminal trusts for the service's TLS certificate
 *   enrolment.json     when and how the terminal enrolled, and how the CA came to be trusted
 * The certificate is written last, so its presence means a complete enrolment.
 */

export interface TerminalCredentials {
  keyPem: string;
  certPem: string;
  caPem: string;
}

/** What the terminal's certificate says about it (card-service's CA: CN id, OU type, ST region). */
export interface TerminalIdentity {
  terminalId: string;
  type: string;
  region: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 fingerprint of the CA certificate, as `openssl x509 -fingerprint -sha256` prints it. */
  caFingerprint: string;
}

/** The identity as the agent's clients see it after an enrolment. */
export function enrolAnswer(identity: TerminalIdentity): EnrolAnswer {
  return {
    terminalId: identity.terminalId,
    type: identity.type,
    region: identity.region,
    certificateNotAfter: identity.notAfter.toISOString(),
    caFingerprint: identity.caFingerprint,
  };
}

export type CaSource = 'configured' | 'trust-on-first-use';

export interface EnrolmentRecord {
  terminalId: string;
  serviceUrl: string;
  enrolledAt: string;
  caSource: CaSource;
  caFingerprint: string;
}

export const credentialPaths = (dataDir: string) => {
  const dir = join(dataDir, 'registry');
  return {
    dir,
    key: join(dir, 'terminal-key.pem'),
    cert: join(dir, 'terminal-cert.pem'),
    ca: join(dir, 'ca-cert.pem'),
    record: join(dir, 'enrolment.json'),
    /** A renewed key and certificate, both in one file, until both are installed. */
    renewal: join(dir, 'renewal.json'),
  };
};

export async function saveCredentials(
  dataDir: string,
  credentials: TerminalCredentials,
  record: EnrolmentRecord,
): Promise<void> {
  const paths = credentialPaths(dataDir);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  // A directory made just now must itself be on the disk before the files in it.
  await syncDirectory(dirname(paths.dir));
  await writeAtomically(paths.key, credentials.keyPem, 0o600);
  await writeAtomically(paths.ca, credentials.caPem, 0o644);
  await writeAtomically(paths.record, `${JSON.stringify(record, null, 2)}\n`, 0o644);
  await writeAtomically(paths.cert, credentials.certPem, 0o644);
}

/**
 * Installs a renewed key and certificate. Two files cannot be renamed at once, so the pair is
 * first written whole to `renewal.json`, which decides: a crash before it is on the disk leaves
 * the old pair, a crash after it is finished by `loadCredentials`. Never a new key beside the old
 * certificate.
 */
export async function installRenewedCredentials(
  dataDir: string,
  keyPem: string,
  certPem: string,
): Promise<void> {
  const paths = credentialPaths(dataDir);
  await writeAtomically(paths.renewal, JSON.stringify({ keyPem, certPem }), 0o600);
  await finishRenewal(paths, { keyPem, certPem });
}

async function finishRenewal(
  paths: ReturnType<typeof credentialPaths>,
  pair: { keyPem: string; certPem: string },
): Promise<void> {
  await writeAtomically(paths.key, pair.keyPem, 0o600);
  await writeAtomically(paths.cert, pair.certPem, 0o644);
  await rm(paths.renewal, { force: true });
  await syncDirectory(paths.dir);
}

/** The stored credentials, or undefined when the terminal never completed an enrolment. */
export async function loadCredentials(
  dataDir: string,
): Promise<{ credentials: TerminalCredentials; record: EnrolmentRecord | undefined } | undefined> {
  const paths = credentialPaths(dataDir);
  const renewal = await readIfExists(paths.renewal);
  if (renewal !== undefined) {
    // A renewal that was stored whole but not installed: install it now.
    const pair = JSON.parse(renewal) as { keyPem: string; certPem: string };
    await finishRenewal(paths, pair);
  }
  const certPem = await readIfExists(paths.cert);
  if (certPem === undefined) return undefined;
  const keyPem = await readIfExists(paths.key);
  const caPem = await readIfExists(paths.ca);
  if (keyPem === undefined || caPem === undefined) {
    throw new RegistryError(
      'NOT_ENROLLED',
      `${paths.dir} holds a certificate without its ${keyPem === undefined ? 'private key' : 'CA certificate'}; enrol the terminal again`,
    );
  }
  const recordText = await readIfExists(paths.record);
  return {
    credentials: { keyPem, certPem, caPem },
    record: recordText ? (JSON.parse(recordText) as EnrolmentRecord) : undefined,
  };
}

function subjectField(subject: string, field: string): string {
  // Node prints the subject one `KEY=value` per line.
  const line = subject.split('\n').find((l) => l.startsWith(`${field}=`));
  return line ? line.slice(field.length + 1) : '';
}

export function caFingerprint(caPem: string): string {
  return new X509Certificate(caPem).fingerprint256;
}

/**
 * Checks that the credentials belong together and reads the identity from the certificate: the
 * key is the certificate's key, the certificate was signed by the CA, and the CA is a CA.
 * Expiry is checked separately (`checkValidity`), because an expired certificate still names
 * the terminal that must be enrolled again.
 */
export function inspectCredentials(credentials: TerminalCredentials): TerminalIdentity {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(credentials.certPem);
    ca = new X509Certificate(credentials.caPem);
  } catch (e) {
    throw new RegistryError(
      'NOT_ENROLLED',
      'the stored terminal or CA certificate cannot be parsed',
      {},
      { cause: e },
    );
  }
  const key = createPrivateKey(credentials.keyPem);
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(fromCert)) {
    throw new RegistryError('NOT_ENROLLED', "the terminal certificate is not for the terminal's private key");
  }
  if (!ca.ca || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new RegistryError('NOT_ENROLLED', 'the terminal certificate was not issued by the stored CA');
  }
  return {
    terminalId: subjectField(cert.subject, 'CN'),
    type: subjectField(cert.subject, 'OU'),
    region: subjectField(cert.subject, 'ST'),
    serial: cert.serialNumber.toUpperCase(),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    caFingerprint: ca.fingerprint256,
  };
}

export function checkValidity(identity: TerminalIdentity, now: Date): void {
  if (now.getTime() > identity.notAfter.getTime()) {
    throw new RegistryError(
      'CERTIFICATE_EXPIRED',
      `the certificate of terminal ${identity.terminalId} expired on ${identity.notAfter.toISOString()}; ask an operator for a new enrolment code`,
      { terminalId: identity.terminalId, notAfter: identity.notAfter.toISOString() },
    );
  }
  if (now.getTime() < identity.notBefore.getTime()) {
    throw new RegistryError(
      'CERTIFICATE_NOT_YET_VALID',
      `the certificate of terminal ${identity.terminalId} is valid only from ${identity.notBefore.toISOString()}; check the terminal's clock`,
      { terminalId: identity.terminalId, notBefore: identity.notBefore.toISOString() },
    );
  }
}
