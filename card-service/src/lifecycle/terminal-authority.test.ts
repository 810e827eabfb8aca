import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { listAudit } from '../audit/audit-log.js';
import { manualClock } from '../clock.js';
import {
  cardPresentProof,
  type IssuedCardData,
  type TestService,
  type TlsIdentity,
  issueActiveCard,
  startTestService,
} from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { regionMayAct, secondsToNextDay } from './terminal-authority.js';

test('a terminal acts on the cards of its own province, and beyond it only by a grant', () => {
  assert.equal(regionMayAct('330100', '330300', []), true);
  assert.equal(regionMayAct('110000', '330300', []), false);
  const grants = [{ terminalRegion: '3101', cardRegion: '3303' }];
  assert.equal(regionMayAct('310115', '330302', grants), true);
  assert.equal(regionMayAct('310115', '330100', grants), false);
  assert.equal(regionMayAct('320100', '330302', grants), false);
});

test('the caps start again at China midnight', () => {
  // 23:59:30 in Beijing is 15:59:30 UTC.
  assert.equal(secondsToNextDay(new Date('2026-03-01T15:59:30Z')), 30);
  assert.equal(secondsToNextDay(new Date('2026-03-01T16:00:00Z')), 86_400);
});

let seq = 500;

forEachEngine('terminal authority over card events', ({ engine, freshUrl, dataDir }) => {
  let t: TestService;
  const clock = manualClock(new Date());
  const EVENTS_PER_DAY = 3;
  const UNKNOWN_PER_DAY = 2;

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock, undefined, {
      terminalAuthority: {
        eventsPerDay: EVENTS_PER_DAY,
        unknownCardsPerDay: UNKNOWN_PER_DAY,
        regionGrants: [{ terminalRegion: '3101', cardRegion: '3303' }],
      },
    });
  });
  after(() => t.service.close());

  const activeCard = (): Promise<IssuedCardData> =>
    issueActiveCard(t, {
      ssn: makeCitizenId('330302', '19700101', seq++),
      name: '陈建国',
      schemeCode: '310',
      startDate: '2010-01-01',
    });

  const proofFor = (c: IssuedCardData, identity: TlsIdentity) => cardPresentProof(t, c, identity);

  const reportLost = (
    identity: TlsIdentity,
    cardNumber: string,
    key: string,
    proof?: { challengeId: string; cryptogram: string },
  ) =>
    t.call('POST', `/v1/cards/${cardNumber}/events`, {
      identity,
      body: { event: 'reportTemporaryLoss', ...(proof ? { proof } : {}) },
      headers: { 'idempotency-key': key },
    });

  const auditOf = async (terminalId: string) =>
    (await listAudit(t.service.store, 0, 10_000)).filter((e) => e.terminalId === terminalId);

  test('a terminal acts only on cards of its own province or of a granted region', async () => {
    const c = await activeCard();
    const beijing = await t.enrolTerminal('auth-kiosk-bj', 'kiosk', '110000');
    const refused = await reportLost(beijing, c.cardNumber, 'bj:1', await proofFor(c, beijing));
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'REGION_NOT_ALLOWED');
    assert.deepEqual(refused.body.details, { terminalRegion: '110000', cardRegion: '330300' });
    const refusal = (await auditOf('auth-kiosk-bj')).find((e) => e.action === 'card.reportTemporaryLoss');
    assert.equal(refusal?.result, 'REGION_NOT_ALLOWED');

    const hangzhou = await t.enrolTerminal('auth-kiosk-hz', 'kiosk', '330100');
    const sameProvince = await reportLost(hangzhou, c.cardNumber, 'hz:1', await proofFor(c, hangzhou));
    assert.equal(sameProvince.status, 200, JSON.stringify(sameProvince.body));

    const d = await activeCard();
    const shanghai = await t.enrolTerminal('auth-kiosk-sh', 'kiosk', '310115');
    const granted = await reportLost(shanghai, d.cardNumber, 'sh:1', await proofFor(d, shanghai));
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
  });

  test("a terminal's lost-card report needs the card in its reader; an operator reports a card lost without it", async () => {
    const kiosk = await t.enrolTerminal('auth-kiosk-proof', 'kiosk');
    const c = await activeCard();
    const bare = await reportLost(kiosk, c.cardNumber, 'proof:1');
    assert.deepEqual(
      [bare.status, bare.body.code],
      [403, 'CARD_PRESENCE_REQUIRED'],
      JSON.stringify(bare.body),
    );
    const refusal = (await auditOf('auth-kiosk-proof')).find((e) => e.action === 'card.reportTemporaryLoss');
    assert.equal(refusal?.result, 'CARD_PRESENCE_REQUIRED');
    // Another card's answer is no proof for this one.
    const other = await activeCard();
    const wrong = await reportLost(kiosk, c.cardNumber, 'proof:2', await proofFor(other, kiosk));
    assert.deepEqual(
      [wrong.status, wrong.body.code],
      [403, 'CARD_PRESENCE_FAILED'],
      JSON.stringify(wrong.body),
    );
    const still = await t.call('GET', `/v1/cards/${c.cardNumber}`, { token: t.adminToken });
    assert.equal(still.body.status, 'active');

    const proved = await reportLost(kiosk, c.cardNumber, 'proof:3', await proofFor(c, kiosk));
    assert.equal(proved.status, 200, JSON.stringify(proved.body));
    assert.equal(proved.body.card.status, 'temporarily_lost');

    // The citizen without the card asks at the counter: the operator needs no proof.
    const absent = await activeCard();
    const byOperator = await t.call('POST', `/v1/cards/${absent.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'reportTemporaryLoss', reason: 'reported at the counter, card not present' },
    });
    assert.equal(byOperator.status, 200, JSON.stringify(byOperator.body));
    assert.equal(byOperator.body.card.status, 'temporarily_lost');
  });

  test('unknown card numbers are audited, and past the day limit the terminal is refused, audited once', async () => {
    const kiosk = await t.enrolTerminal('auth-kiosk-probe', 'kiosk');
    const c = await activeCard();
    const proof = await proofFor(c, kiosk);
    for (let i = 0; i < UNKNOWN_PER_DAY; i++) {
      const probe = await reportLost(kiosk, `A0000${String(i).padStart(3, '0')}X`, `probe:${i}`, proof);
      assert.equal(probe.status, 404, JSON.stringify(probe.body));
    }
    const unknown = (await auditOf('auth-kiosk-probe')).filter((e) => e.result === 'CARD_UNKNOWN');
    assert.equal(unknown.length, UNKNOWN_PER_DAY);
    // The full number stays out of the audit log.
    assert.ok(
      unknown.every((e) => !e.subject.includes('A0000000X')),
      unknown[0]?.subject,
    );
    for (let i = 0; i < 3; i++) {
      const limited = await reportLost(kiosk, `B0000${i}00X`, `probe:more:${i}`, proof);
      assert.equal(limited.status, 429, JSON.stringify(limited.body));
      assert.equal(limited.body.code, 'CARD_PROBING_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) > 0);
    }
    // Even a card it knows is refused for the rest of the day: the limit is on the terminal.
    const known = await reportLost(kiosk, c.cardNumber, 'probe:known', proof);
    assert.equal(known.body.code, 'CARD_PROBING_LIMITED');
    const limits = (await auditOf('auth-kiosk-probe')).filter((e) => e.result === 'CARD_PROBING_LIMITED');
    assert.equal(limits.length, 1);
  });

  test("a terminal's lifecycle requests are capped per day, and the cap lifts the next day", async () => {
    const kiosk = await t.enrolTerminal('auth-kiosk-cap', 'kiosk');
    const reported: string[] = [];
    for (let i = 0; i < EVENTS_PER_DAY; i++) {
      const c = await activeCard();
      const ok = await reportLost(kiosk, c.cardNumber, `cap:${i}`, await proofFor(c, kiosk));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      reported.push(c.cardNumber);
    }
    const c = await activeCard();
    const capped = await reportLost(kiosk, c.cardNumber, 'cap:over', await proofFor(c, kiosk));
    assert.equal(capped.status, 429, JSON.stringify(capped.body));
    assert.equal(capped.body.code, 'TERMINAL_DAILY_LIMIT');
    // A retry of an event applied before the cap was reached still gets its answer (its proof,
    // spent, is not what the idempotency key stands for).
    const replay = await reportLost(kiosk, reported[0]!, 'cap:0');
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.replayed, true);
    const refusals = (await auditOf('auth-kiosk-cap')).filter((e) => e.result === 'TERMINAL_DAILY_LIMIT');
    assert.equal(refusals.length, 1);
    // Twenty seconds before China midnight a challenge is issued; twenty seconds after it, the
    // same terminal is served again.
    const now = clock();
    clock.advance(secondsToNextDay(now) * 1000 - 20_000);
    try {
      const proof = await proofFor(c, kiosk);
      clock.advance(40_000);
      const nextDay = await reportLost(kiosk, c.cardNumber, 'cap:next', proof);
      assert.equal(nextDay.status, 200, JSON.stringify(nextDay.body));
    } finally {
      clock.set(now);
    }
  });

  test('a retry of an applied event after a lost answer gets the stored result, though its proof is spent', async () => {
    const bank = await t.enrolTerminal('auth-bank-retry', 'bank');
    const c = await activeCard();
    const send = (proof: { challengeId: string; cryptogram: string }) =>
      t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
        identity: bank,
        body: { event: 'activateFinancial', proof },
        headers: { 'idempotency-key': 'bank-retry:1' },
      });
    const proof = await proofFor(c, bank);
    const first = await send(proof);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const retry = await send(proof);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.replayed, true);
    assert.equal(retry.body.card.financialActive, true);
  });

  test(`two concurrent first attempts with one idempotency key give one result and one replay [${engine}]`, async () => {
    const bank = await t.enrolTerminal('auth-bank-race', 'bank');
    for (let round = 0; round < 3; round++) {
      const c = await activeCard();
      const proof = await proofFor(c, bank);
      const send = () =>
        t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
          identity: bank,
          body: { event: 'reportTemporaryLoss', proof },
          headers: { 'idempotency-key': `race:${round}` },
        });
      const answers = await Promise.all([send(), send()]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200],
        JSON.stringify(answers.map((a) => a.body)),
      );
      assert.deepEqual(answers.map((a) => a.body.replayed === true).sort(), [false, true]);
    }
    const refusals = (await auditOf('auth-bank-race')).filter((e) => e.result !== 'ok');
    assert.deepEqual(refusals, []);
  });
});
