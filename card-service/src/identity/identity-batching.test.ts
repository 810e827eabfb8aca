import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import { type TestService, type TlsIdentity, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

/**
 * Identity checks as the benchmark sends them (the visit cache off, many in flight on kept-alive
 * connections), where the reads of concurrent requests are batched and the card's record is read
 * beside the caller's identification.
 */
const NAMES = ['林晓东', '王秀英', '陈建国', '李娜', '张伟', '刘洋', '黄敏', '赵磊'];
let seq = 500;

forEachEngine('identity checks in flight together', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let hospital: TlsIdentity;
  const cards: { cardIdCode: string; cardNumber: string; ssn: string; name: string }[] = [];
  const clock = manualClock(new Date());

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock, undefined, { identityCacheSeconds: 0 });
    hospital = await t.enrolTerminal('hosp-batch', 'hospital');
    for (const name of NAMES) {
      const ssn = makeCitizenId('330302', '19750302', seq++);
      const holder = await t.call('POST', '/v1/holders', {
        token: t.adminToken,
        body: {
          idNumber: ssn,
          name,
          ethnicity: '01',
          region: '330300',
          relations: [{ schemeCode: '310', insuredRegion: '330300', startDate: '2012-07-01' }],
        },
      });
      const personNo = holder.body.holder.personNo;
      const issued = await t.call('POST', `/v1/holders/${personNo}/cards`, {
        token: t.adminToken,
        body: { generation: 3 },
      });
      const card = issued.body.card;
      await t.call('POST', `/v1/cards/${card.cardNumber}/events`, {
        token: t.adminToken,
        body: { event: 'activateSocialSecurity' },
      });
      cards.push({ cardIdCode: card.cardIdCode, cardNumber: card.cardNumber, ssn, name });
    }
  });
  after(() => t.service.close());

  test('concurrent checks of different cards each get their own holder, and refusals their own reason', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 24 });
    try {
      const checks: {
        body: (typeof cards)[number];
        expect: { valid: boolean; name?: string; reason?: string };
      }[] = [
        ...cards.map((c) => ({ body: c, expect: { valid: true, name: c.name } })),
        ...cards.map((c) => ({
          body: { ...c, name: '某某' },
          expect: { valid: false, reason: 'HOLDER_MISMATCH' },
        })),
        {
          body: { ...cards[0]!, cardIdCode: `330300D156000005${'AB'.repeat(8)}` },
          expect: { valid: false, reason: 'CARD_UNKNOWN' },
        },
      ];
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          checks.map((c) =>
            t.call('POST', '/v1/identity/check', { identity: hospital, agent, body: c.body }),
          ),
        );
        answers.forEach((a, i) => {
          const { expect } = checks[i]!;
          assert.equal(a.status, 200);
          assert.equal(a.body.valid, expect.valid);
          if (expect.valid) {
            assert.equal(a.body.holder.name, expect.name);
            assert.equal(a.body.card.cardNumber, checks[i]!.body.cardNumber);
          } else assert.equal(a.body.reason, expect.reason);
        });
      }
    } finally {
      agent.destroy();
    }
  });

  test('a terminal revoked while others keep the service busy is refused at its next request', async () => {
    const other = await t.enrolTerminal('hosp-busy', 'hospital');
    const doomed = await t.enrolTerminal('hosp-doomed', 'hospital');
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    let stop = false;
    const busy = (async () => {
      while (!stop) {
        await Promise.all(
          cards.map((c) => t.call('POST', '/v1/identity/check', { identity: other, agent, body: c })),
        );
      }
    })();
    try {
      const ok = await t.call('POST', '/v1/identity/check', { identity: doomed, agent, body: cards[1] });
      assert.equal(ok.status, 200);
      const revoked = await t.call('POST', '/v1/terminals/hosp-doomed/revoke', { token: t.adminToken });
      assert.equal(revoked.status, 200);
      for (const c of cards) {
        const refused = await t.call('POST', '/v1/identity/check', { identity: doomed, agent, body: c });
        assert.equal(refused.status, 401);
        assert.equal(refused.body.code, 'CLIENT_CERT_REVOKED');
      }
    } finally {
      stop = true;
      await busy;
      agent.destroy();
    }
  });

  test('the card read ahead changes no refusal: who may not call hears that, not what is wrong with the body', async () => {
    const doomed = await t.enrolTerminal('hosp-revoked-early', 'hospital');
    await t.call('POST', '/v1/terminals/hosp-revoked-early/revoke', { token: t.adminToken });
    const good = await t.call('POST', '/v1/identity/check', { identity: doomed, body: cards[0] });
    assert.deepEqual([good.status, good.body.code], [401, 'CLIENT_CERT_REVOKED']);
    const bad = await t.call('POST', '/v1/identity/check', { identity: doomed, body: { cardIdCode: 'x' } });
    assert.deepEqual([bad.status, bad.body.code], [401, 'CLIENT_CERT_REVOKED']);
    const operator = await t.call('POST', '/v1/identity/check', { token: t.adminToken, body: cards[0] });
    assert.deepEqual([operator.status, operator.body.code], [403, 'OPERATOR_NOT_ALLOWED']);
    const anonymous = await t.call('POST', '/v1/identity/check', { body: cards[0] });
    assert.deepEqual([anonymous.status, anonymous.body.code], [401, 'CLIENT_CERT_REQUIRED']);
    const invalid = await t.call('POST', '/v1/identity/check', {
      identity: hospital,
      body: { cardIdCode: 'x' },
    });
    assert.deepEqual([invalid.status, invalid.body.code], [400, 'VALIDATION_FAILED']);
  });

  test('every answered check has its entry in the chain, which verifies', async () => {
    const before = await t.call('GET', '/v1/audit/verify', { token: t.adminToken });
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          t.call('POST', '/v1/identity/check', { identity: hospital, agent, body: cards[i % cards.length] }),
        ),
      );
      for (const a of answers) assert.equal(a.status, 200);
    } finally {
      agent.destroy();
    }
    const verdict = await t.call('GET', '/v1/audit/verify', { token: t.adminToken });
    assert.equal(verdict.body.ok, true);
    assert.equal(verdict.body.entries, before.body.entries + 64);
  });
});
