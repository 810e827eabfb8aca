import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readIfExists, syncDirectory, writeAtomically } from '@sscard/secret-files';
import forge from 'node-forge';
import { DomainError } from '../errors.js';
import type { TerminalType } from '../lifecycle/transitions.js';

/**
 * The service's certification authority for terminal certificates (node-forge), kept under
 * `<dataDir>/ca`: created at first start, each file written atomically and flushed, private keys
 * with mode 0600. It also issues the service's own TLS server certificate, so a terminal trusts
 * exactly one root: this CA.
 */
export interface TerminalCertificate {
  certificatePem: string;
  /** Upper-case hex, as Node's TLS reports a peer certificate's serial. */
  serial: string;
  notAfter: string;
}

export interface CertificateAuthority {
  readonly caCertPem: string;
  readonly serverKeyPem: string;
  readonly serverCertPem: string;
  issueTerminalCertificate(
    csrPem: string,
    subject: { terminalId: string; type: TerminalType; region: string },
    days: number,
    now: Date,
  ): TerminalCertificate;
}

export interface CaOptions {
  hostnames: readonly string[];
  ips: readonly string[];
  now: Date;
}

const MIN_TERMINAL_KEY_BITS = 2048;

function newRsaKeyPem(bits: number): string {
  // Node's native key generation: node-forge's pure JavaScript one takes seconds for 3072 bits.
  return generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  }).privateKey;
}

/** A positive serial of 16 random bytes whose first hex digit is never 0 (so no form drops it). */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex').toUpperCase();
}

function baseCertificate(publicKey: forge.pki.PublicKey, now: Date, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = newSerial();
  // Back-date a little: a terminal whose clock is a few minutes behind must accept the certificate.
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * 86_400_000);
  return cert;
}

function sign(cert: forge.pki.Certificate, key: forge.pki.PrivateKey): void {
  cert.sign(key as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

function serverCertCovers(
  certPem: string,
  hostnames: readonly string[],
  ips: readonly string[],
  now: Date,
): boolean {
  const cert = forge.pki.certificateFromPem(certPem);
  if (cert.validity.notAfter.getTime() - now.getTime() < 30 * 86_400_000) return false;
  const san = cert.getExtension('subjectAltName') as {
    altNames?: { type: number; value?: string; ip?: string }[];
  };
  const names = new Set((san?.altNames ?? []).map((n) => (n.type === 7 ? `ip:${n.ip}` : `dns:${n.value}`)));
  return hostnames.every((h) => names.has(`dns:${h}`)) && ips.every((ip) => names.has(`ip:${ip}`));
}

export async function loadOrCreateCa(dir: string, options: CaOptions): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A directory made just now must itself be on the disk before the files in it.
  await syncDirectory(dirname(dir));
  const caKeyPath = join(dir, 'ca-key.pem');
  const caCertPath = join(dir, 'ca-cert.pem');
  let caKeyPem = await readIfExists(caKeyPath);
  let caCertPem = await readIfExists(caCertPath);
  if (!caKeyPem || !caCertPem) {
    caKeyPem = newRsaKeyPem(3072);
    const key = forge.pki.privateKeyFromPem(caKeyPem);
    const cert = baseCertificate(forge.pki.setRsaPublicKey(key.n, key.e), options.now, 20 * 365);
    const name = [
      { name: 'commonName', value: 'sscard terminal CA' },
      { name: 'organizationName', value: 'sscard' },
    ];
    cert.setSubject(name);
    cert.setIssuer(name);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    sign(cert, key);
    caCertPem = forge.pki.certificateToPem(cert);
    await writeAtomically(caKeyPath, caKeyPem, 0o600);
    await writeAtomically(caCertPath, caCertPem, 0o644);
  }
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const caCert = forge.pki.certificateFromPem(caCertPem);

  const serverKeyPath = join(dir, 'server-key.pem');
  const serverCertPath = join(dir, 'server-cert.pem');
  let serverKeyPem = await readIfExists(serverKeyPath);
  let serverCertPem = await readIfExists(serverCertPath);
  if (
    !serverKeyPem ||
    !serverCertPem ||
    !serverCertCovers(serverCertPem, options.hostnames, options.ips, options.now)
  ) {
    serverKeyPem = newRsaKeyPem(2048);
    const key = forge.pki.privateKeyFromPem(serverKeyPem);
    const cert = baseCertificate(forge.pki.setRsaPublicKey(key.n, key.e), options.now, 825);
    cert.setSubject([
      { name: 'commonName', value: options.hostnames[0] ?? options.ips[0] ?? 'sscard-service' },
      { name: 'organizationName', value: 'sscard' },
    ]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...options.hostnames.map((value) => ({ type: 2, value })),
          ...options.ips.map((ip) => ({ type: 7, ip })),
        ],
      },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    sign(cert, caKey);
    serverCertPem = forge.pki.certificateToPem(cert);
    await writeAtomically(serverKeyPath, serverKeyPem, 0o600);
    await writeAtomically(serverCertPath, serverCertPem, 0o644);
  }

  return {
    caCertPem,
    serverKeyPem,
    serverCertPem,
    issueTerminalCertificate(csrPem, subject, days, now) {
      let csr: forge.pki.CertificateSigningRequest;
      try {
        csr = forge.pki.certificationRequestFromPem(csrPem);
      } catch {
        throw new DomainError('CSR_INVALID', 'the CSR is not a PEM PKCS#10 request with an RSA key', 400);
      }
      if (!csr.verify()) throw new DomainError('CSR_INVALID', 'the CSR signature does not verify', 400);
      const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
      if (!publicKey?.n || publicKey.n.bitLength() < MIN_TERMINAL_KEY_BITS) {
        throw new DomainError(
          'CSR_INVALID',
          `an RSA key of at least ${MIN_TERMINAL_KEY_BITS} bits is required`,
          400,
        );
      }
      const cert = baseCertificate(publicKey, now, days);
      // The subject comes from the enrolment code, never from the CSR: the terminal cannot choose it.
      cert.setSubject([
        { name: 'commonName', value: subject.terminalId },
        { name: 'organizationalUnitName', value: subject.type },
        { shortName: 'ST', value: subject.region },
        { name: 'organizationName', value: 'sscard terminal' },
      ]);
      cert.setIssuer(caCert.subject.attributes);
      cert.setExtensions([
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
        { name: 'subjectKeyIdentifier' },
        { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
      ]);
      sign(cert, caKey);
      return {
        certificatePem: forge.pki.certificateToPem(cert),
        serial: cert.serialNumber.toUpperCase(),
        notAfter: cert.validity.notAfter.toISOString(),
      };
    },
  };
}
