import { generateKeyPairSync } from 'node:crypto';
import { type Server, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import type { TerminalCredentials } from '../registry/credentials.js';

/**
 * A throw-away CA, server certificate and terminal credentials for testing the client's
 * transport against a local HTTPS server whose behaviour the test scripts (slow, broken, busy).
 * The registry's real behaviour is tested against card-service itself in test/src/registry-*.
 */

function rsaKey(): { pem: string; key: forge.pki.rsa.PrivateKey } {
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  });
  return {
    pem: pem.toString(),
    key: forge.pki.privateKeyFromPem(pem.toString()) as forge.pki.rsa.PrivateKey,
  };
}

function certificate(
  subject: forge.pki.CertificateField[],
  publicKey: forge.pki.rsa.PrivateKey,
  issuer: { subject: forge.pki.CertificateField[]; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(publicKey.n, publicKey.e);
  cert.serialNumber = `4${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject(subject);
  cert.setIssuer(issuer.subject);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export interface TestPki {
  caPem: string;
  server: { keyPem: string; certPem: string };
  terminal: TerminalCredentials;
}

export function createTestPki(terminalId = 'T-TEST-1'): TestPki {
  const ca = rsaKey();
  const caSubject = [{ name: 'commonName', value: 'test CA' }];
  const caIssuer = { subject: caSubject, key: ca.key };
  const caPem = certificate(caSubject, ca.key, caIssuer, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const server = rsaKey();
  const serverCert = certificate([{ name: 'commonName', value: 'localhost' }], server.key, caIssuer, [
    { name: 'basicConstraints', cA: false },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  const terminal = rsaKey();
  const terminalCert = certificate(
    [
      { name: 'commonName', value: terminalId },
      { name: 'organizationalUnitName', value: 'kiosk' },
      { shortName: 'ST', value: '330300' },
    ],
    terminal.key,
    caIssuer,
    [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  );
  return {
    caPem,
    server: { keyPem: server.pem, certPem: serverCert },
    terminal: { keyPem: terminal.pem, certPem: terminalCert, caPem },
  };
}

export type ScriptedHandler = Parameters<typeof createServer>[1];

/** An HTTPS server on 127.0.0.1 that requires a client certificate from the test CA. */
export async function startScriptedServer(
  pki: TestPki,
  handler: NonNullable<ScriptedHandler>,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(
    {
      key: pki.server.keyPem,
      cert: pki.server.certPem,
      ca: pki.caPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    handler,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
