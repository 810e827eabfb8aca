import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Agent } from 'node:https';
import { after, before, test } from 'node:test';
import forge from 'node-forge';
import { DAY_MS, manualClock } from '../clock.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { type TestService, newCsr, startTestService } from '../testing/api-fixture.js';

/** A certificate for the same terminal id from a CA the service has never seen. */
function foreignIdentity(): { key: string; cert: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '4A01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + DAY_MS);
  const name = [
    { name: 'commonName', value: 'kiosk-a' },
    { name: 'organizationalUnitName', value: 'kiosk' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(key, forge.md.sha256.create());
  return { key: privateKey, cert: forge.pki.certificateToPem(cert) };
}

forEachEngine('terminal security', ({ freshUrl, dataDir }) => {
  let t: TestService;
  const clock = manualClock(new Date());
  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
  });
  after(() => t.service.close());

  test('an enrolled certificate names the terminal id, type and region chosen by the operator', async () => {
    const id = await t.enrolTerminal('kiosk-a', 'kiosk', '330300');
    const cert = forge.pki.certificateFromPem(id.cert);
    assert.equal(cert.subject.getField('CN').value, 'kiosk-a');
    assert.equal(cert.subject.getField('OU').value, 'kiosk');
    assert.equal(cert.subject.getField('ST').value, '330300');
    const me = await t.call('GET', '/v1/terminal', { identity: id });
    assert.equal(me.status, 200);
    assert.deepEqual([me.body.terminalId, me.body.type, me.body.status], ['kiosk-a', 'kiosk', 'active']);
  });

  test('an enrolment code works once', async () => {
    const code = await t.call('POST', '/v1/enrolment-codes', {
      token: t.adminToken,
      body: { terminalId: 'bank-once', type: 'bank', region: '330300' },
    });
    assert.equal(code.status, 201);
    const first = await t.call('POST', '/v1/enrol', { body: { code: code.body.code, csr: newCsr().csrPem } });
    assert.equal(first.status, 201);
    const second = await t.call('POST', '/v1/enrol', {
      body: { code: code.body.code, csr: newCsr().csrPem },
    });
    assert.equal(second.status, 403);
    assert.equal(second.body.code, 'ENROLMENT_CODE_USED');
  });

  test('an expired or unknown enrolment code is refused', async () => {
    const code = await t.call('POST', '/v1/enrolment-codes', {
      token: t.adminToken,
      body: { terminalId: 'late-kiosk', type: 'kiosk', region: '330300', ttlSeconds: 60 },
    });
    clock.advance(61_000);
    const late = await t.call('POST', '/v1/enrol', { body: { code: code.body.code, csr: newCsr().csrPem } });
    assert.equal(late.status, 403);
    assert.equal(late.body.code, 'ENROLMENT_CODE_EXPIRED');
    const unknown = await t.call('POST', '/v1/enrol', {
      body: { code: 'AAAAA-BBBBB-CCCCC', csr: newCsr().csrPem },
    });
    assert.equal(unknown.body.code, 'ENROLMENT_CODE_INVALID');
  });

  test('a CSR that is not a signed PKCS#10 request is refused', async () => {
    const code = await t.call('POST', '/v1/enrolment-codes', {
      token: t.adminToken,
      body: { terminalId: 'bad-csr', type: 'kiosk', region: '330300' },
    });
    const answer = await t.call('POST', '/v1/enrol', { body: { code: code.body.code, csr: 'not a csr' } });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 'CSR_INVALID');
  });

  test('a terminal route refuses a caller without a client certificate', async () => {
    const answer = await t.call('POST', '/v1/challenges', {
      body: { cardIdCode: `330300D156000005${'0'.repeat(16)}` },
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.code, 'CLIENT_CERT_REQUIRED');
  });

  test('a certificate from another CA is refused', async () => {
    const answer = await t.call('GET', '/v1/terminal', { identity: foreignIdentity() });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.code, 'CLIENT_CERT_UNTRUSTED');
  });

  test('revocation takes effect at the next request on the same connection', async () => {
    const id = await t.enrolTerminal('kiosk-revoked', 'kiosk');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await t.call('GET', '/v1/terminal', { identity: id, agent })).status, 200);
      const revoked = await t.call('POST', '/v1/terminals/kiosk-revoked/revoke', { token: t.adminToken });
      assert.equal(revoked.status, 200);
      const after = await t.call('GET', '/v1/terminal', { identity: id, agent });
      assert.equal(after.status, 401);
      assert.equal(after.body.code, 'CLIENT_CERT_REVOKED');
    } finally {
      agent.destroy();
    }
  });

  test('a terminal type outside the route table is refused with 403', async () => {
    const id = await t.enrolTerminal('hosp-a', 'hospital');
    const answer = await t.call('POST', '/v1/cards/A00000019/events', {
      identity: id,
      body: { event: 'reportTemporaryLoss' },
      headers: { 'idempotency-key': 'hosp-a:1' },
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, 'TERMINAL_TYPE_FORBIDDEN');
  });

  test('operator routes need a token with the right scope, and terminals cannot call them', async () => {
    assert.equal((await t.call('GET', '/v1/terminals')).body.code, 'TOKEN_REQUIRED');
    const reader = await t.call('POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name: 'auditor', scopes: ['audit:read'] },
    });
    assert.equal(reader.status, 201);
    const refused = await t.call('GET', '/v1/terminals', { token: reader.body.token });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'SCOPE_MISSING');
    assert.equal((await t.call('GET', '/v1/audit/verify', { token: reader.body.token })).body.ok, true);
    // Change the secret's last character (to one it is not, or the token would stay valid).
    const token: string = reader.body.token;
    const forged = await t.call('GET', '/v1/terminals', {
      token: `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
    });
    assert.equal(forged.status, 401);
    const id = await t.enrolTerminal('bank-b', 'bank');
    const asTerminal = await t.call('GET', '/v1/terminals', { identity: id });
    assert.equal(asTerminal.status, 403);
    assert.equal(asTerminal.body.code, 'TERMINAL_TYPE_FORBIDDEN');
  });

  test('bad bodies get a JSON problem, never a stack trace', async () => {
    const invalid = await t.call('POST', '/v1/enrolment-codes', {
      token: t.adminToken,
      body: { terminalId: 'x', type: 'tram', region: '330300' },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.code, 'VALIDATION_FAILED');
    assert.match(invalid.body.message, /type/);
    const malformed = await t.call('POST', '/v1/enrol', { raw: '{"code":' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.code, 'BODY_NOT_JSON');
    const huge = await t.call('POST', '/v1/enrol', {
      raw: JSON.stringify({ code: 'x', csr: 'A'.repeat(200_000) }),
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.code, 'BODY_TOO_LARGE');
    for (const a of [invalid, malformed, huge]) assert.doesNotMatch(JSON.stringify(a.body), /at .*\.js:\d+/);
  });
});
