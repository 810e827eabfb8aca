import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { internalAuthCryptogram, makeCitizenId, parseCardIdCode, ssseCardKey } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import {
  type TestService,
  type TlsIdentity,
  issueActiveCardTo,
  startTestService,
} from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

let seq = 400;

interface Relation {
  schemeCode: string;
  insuredRegion: string;
  startDate: string;
  status?: 'active' | 'paused' | 'terminated';
  pauseDate?: string;
}

forEachEngine('identity checks for a scheme', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let wenzhouHospital: TlsIdentity;
  let beijingHospital: TlsIdentity;
  let bank: TlsIdentity;
  const clock = manualClock('2026-06-01T02:00:00Z');

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
    wenzhouHospital = await t.enrolTerminal('hosp-wz', 'hospital', '330300');
    beijingHospital = await t.enrolTerminal('hosp-bj', 'hospital', '110100');
    bank = await t.enrolTerminal('bank-wz', 'bank', '330300');
  });
  after(() => t.service.close());

  /** An active card of a holder with exactly these relations; what a terminal reads from it. */
  async function holderWith(relations: Relation[]) {
    const ssn = makeCitizenId('330302', '19620815', seq++);
    const card = await issueActiveCardTo(t, {
      idNumber: ssn,
      name: '陈建国',
      ethnicity: '01',
      region: '330300',
      relations,
    });
    return {
      read: { cardIdCode: card.cardIdCode, cardNumber: card.cardNumber, ssn, name: '陈建国' },
      algorithm: card.algorithm,
    };
  }

  const check = async (identity: TlsIdentity, body: Record<string, unknown>) => {
    const answer = await t.call('POST', '/v1/identity/check', { identity, body });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as { valid: boolean; reason?: string; cardPresent: boolean };
  };
  const verdict = (a: { valid: boolean; reason?: string }) => (a.valid ? 'valid' : a.reason);

  test('medical coverage in force in the terminal region passes; a check naming no scheme is not judged on coverage', async () => {
    const h = await holderWith([
      { schemeCode: '390', insuredRegion: '330300', startDate: '2015-01-01' },
      { schemeCode: '110', insuredRegion: '330300', startDate: '2015-01-01', status: 'terminated' },
    ]);
    assert.equal(
      verdict(await check(wenzhouHospital, { ...h.read, forScheme: { scheme: 'medical' } })),
      'valid',
    );
    assert.equal(verdict(await check(wenzhouHospital, { ...h.read, forScheme: { scheme: '390' } })), 'valid');
    assert.equal(verdict(await check(bank, h.read)), 'valid');
  });

  test('a scheme the holder does not have, has terminated or has not started yet is missing', async () => {
    const h = await holderWith([
      { schemeCode: '390', insuredRegion: '330300', startDate: '2015-01-01' },
      { schemeCode: '110', insuredRegion: '330300', startDate: '2015-01-01', status: 'terminated' },
      { schemeCode: '120', insuredRegion: '330300', startDate: '2026-07-01' },
    ]);
    assert.equal(
      verdict(await check(wenzhouHospital, { ...h.read, forScheme: { scheme: '310' } })),
      'COVERAGE_MISSING',
    );
    assert.equal(
      verdict(await check(bank, { ...h.read, forScheme: { scheme: 'pension' } })),
      'COVERAGE_MISSING',
    );
    assert.equal(verdict(await check(bank, { ...h.read, forScheme: { scheme: '110' } })), 'COVERAGE_MISSING');
  });

  test('a paused scheme is refused as paused once its pause date has come', async () => {
    const h = await holderWith([
      {
        schemeCode: '110',
        insuredRegion: '330300',
        startDate: '2001-01-01',
        status: 'paused',
        pauseDate: '2024-03-01',
      },
      {
        schemeCode: '310',
        insuredRegion: '330300',
        startDate: '2001-01-01',
        status: 'paused',
        pauseDate: '2026-09-01',
      },
    ]);
    assert.equal(
      verdict(await check(bank, { ...h.read, forScheme: { scheme: 'pension' } })),
      'COVERAGE_PAUSED',
    );
    assert.equal(
      verdict(await check(wenzhouHospital, { ...h.read, forScheme: { scheme: 'medical' } })),
      'valid',
      'a pause that starts in September does not stop June’s treatment',
    );
  });

  test('coverage in another region than the one asked about is refused as such; the region may be named', async () => {
    const h = await holderWith([{ schemeCode: '310', insuredRegion: '330300', startDate: '2010-01-01' }]);
    assert.equal(
      verdict(await check(beijingHospital, { ...h.read, forScheme: { scheme: 'medical' } })),
      'COVERAGE_OTHER_REGION',
    );
    assert.equal(
      verdict(
        await check(beijingHospital, { ...h.read, forScheme: { scheme: 'medical', region: '330300' } }),
      ),
      'valid',
    );
    assert.equal(
      verdict(
        await check(wenzhouHospital, { ...h.read, forScheme: { scheme: 'medical', region: '110100' } }),
      ),
      'COVERAGE_OTHER_REGION',
    );
  });

  test('a card refused for its state is refused for that, whatever the coverage', async () => {
    const h = await holderWith([{ schemeCode: '310', insuredRegion: '330300', startDate: '2010-01-01' }]);
    const lost = await t.call('POST', `/v1/cards/${h.read.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'reportFormalLoss' },
    });
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    assert.equal(
      verdict(await check(wenzhouHospital, { ...h.read, forScheme: { scheme: 'pension' } })),
      'CARD_LOST',
    );
  });

  test('a scheme that is neither a kind nor a three-digit code is a bad request', async () => {
    const h = await holderWith([{ schemeCode: '310', insuredRegion: '330300', startDate: '2010-01-01' }]);
    for (const forScheme of [{ scheme: 'dental' }, { scheme: '31' }, { scheme: '310', region: '33030' }]) {
      const answer = await t.call('POST', '/v1/identity/check', {
        identity: wenzhouHospital,
        body: { ...h.read, forScheme },
      });
      assert.equal(answer.status, 400, JSON.stringify(forScheme));
      assert.equal(answer.body.code, 'VALIDATION_FAILED');
    }
  });

  test('the audit entry of a check says whether a proof was carried, whether it held, and the scheme asked', async () => {
    const h = await holderWith([{ schemeCode: '310', insuredRegion: '330300', startDate: '2010-01-01' }]);
    const ch = await t.call('POST', '/v1/challenges', {
      identity: wenzhouHospital,
      body: { cardIdCode: h.read.cardIdCode },
    });
    assert.equal(ch.status, 201, JSON.stringify(ch.body));
    const key = ssseCardKey(
      h.algorithm,
      t.keys.internalAuth[h.algorithm],
      parseCardIdCode(h.read.cardIdCode).bytes,
    );
    const cryptogram = internalAuthCryptogram(
      h.algorithm,
      key,
      Buffer.from(ch.body.challenge, 'hex'),
    ).toString('hex');
    const proof = { challengeId: ch.body.challengeId, cryptogram };
    const proven = await check(wenzhouHospital, { ...h.read, proof, forScheme: { scheme: 'medical' } });
    assert.deepEqual([proven.valid, proven.cardPresent], [true, true]);
    const replayed = await check(wenzhouHospital, { ...h.read, proof });
    assert.deepEqual([replayed.reason, replayed.cardPresent], ['PROOF_CHALLENGE_USED', false]);
    await check(wenzhouHospital, h.read);
    const entries = await t.call('GET', '/v1/audit?after=0&limit=1000', { token: t.adminToken });
    const mine = entries.body.entries
      .filter(
        (e: { action: string; terminalId: string }) =>
          e.action === 'identity.check' && e.terminalId === 'hosp-wz',
      )
      .slice(-3)
      .map((e: { result: string; details: Record<string, unknown> }) => [
        e.result,
        e.details.proofCarried,
        e.details.cardPresent,
        e.details.forScheme,
      ]);
    assert.deepEqual(mine, [
      ['ok', true, true, 'medical'],
      ['PROOF_CHALLENGE_USED', true, false, undefined],
      ['ok', false, false, undefined],
    ]);
  });
});
