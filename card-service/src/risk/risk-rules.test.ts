import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { manualClock } from '../clock.js';
import { registerLifeEvent } from '../pension/life-events.js';
import { runPensionMonth } from '../pension/monthly-run.js';
import type { Store } from '../store/store.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { OPERATOR, addPensioners } from '../testing/pension-fixture.js';
import {
  type Desks,
  deskClient,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '../testing/settlement-fixture.js';
import { RiskChecks } from './risk-checks.js';

const openAlerts = (store: Store, rule: string) =>
  store.all<{ person_no: string; details: string; action: string }>(
    'SELECT person_no, details, action FROM risk_alerts WHERE rule_code = ? ORDER BY raised_at, alert_id',
    [rule],
  );

forEachEngine('risk rules on the transactions that carry a card', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let desks: Desks;
  const clock = manualClock('2026-05-11T01:00:00Z');
  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'risk'), clock, undefined, {
      risk: { maxSettlementsPerDay: 2, maxKmPerHour: 800 },
    });
    desks = await setUpSettlementWorld(t);
  });
  after(() => t?.service.close());

  test('TOO_MANY_SETTLEMENTS: the third settlement of a day alerts (the second does not); the daily job finds it, raised once', async () => {
    const c = await insuredCard(t);
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const settle = async () => {
      const { quote } = await desk.quote(c, exampleLines('outpatient-bill.json').slice(0, 1), {
        useAccount: false,
      });
      const s = await desk.post('/v1/settlement/settle', {
        quoteId: quote.quoteId,
        proof: desk.quoteProof(c, quote),
      });
      assert.equal(s.status, 200, JSON.stringify(s.body));
    };
    await settle();
    await settle();
    assert.deepEqual(await openAlerts(t.service.store, 'TOO_MANY_SETTLEMENTS'), [], 'two is the limit');
    await settle();
    const alerts = await openAlerts(t.service.store, 'TOO_MANY_SETTLEMENTS');
    assert.equal(alerts.length, 1);
    assert.equal(JSON.parse(alerts[0]!.details).settlements, 3);
    const daily = await new RiskChecks(clock, {
      maxSettlementsPerDay: 2,
      maxKmPerHour: 800,
      inactivityDays: 365,
    }).daily(t.service.store, '2026-05-11');
    assert.deepEqual(
      daily.find((d) => d.ruleCode === 'TOO_MANY_SETTLEMENTS'),
      { ruleCode: 'TOO_MANY_SETTLEMENTS', findings: 1, raised: 0 },
    );
  });

  test('CARD_IN_LOSS_USED: an identity check with the proof of a card reported lost alerts (a blocking rule), one of an active card does not', async () => {
    const kiosk = deskClient(t, desks.kiosk, 'kiosk-s');
    const c = await insuredCard(t);
    const check = async () =>
      t.call('POST', '/v1/identity/check', {
        identity: desks.kiosk,
        body: {
          cardIdCode: c.cardIdCode,
          cardNumber: c.cardNumber,
          ssn: c.ssn,
          name: c.name,
          proof: await kiosk.proof(c, 'presence'),
        },
      });
    const fine = await check();
    assert.equal(fine.status, 200, JSON.stringify(fine.body));
    assert.equal(fine.body.cardPresent, true);
    assert.deepEqual(await openAlerts(t.service.store, 'CARD_IN_LOSS_USED'), []);
    const lost = await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'reportTemporaryLoss' },
    });
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    clock.advance(60_000);
    const used = await check();
    assert.equal(used.body.valid, false);
    const alerts = await openAlerts(t.service.store, 'CARD_IN_LOSS_USED');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.action, 'block');
    assert.equal(alerts[0]!.person_no, c.personNo);
  });
});

forEachEngine('risk rules over card-present behaviour and the daily job', ({ open }) => {
  test('TOO_FAR_TOO_FAST: Hangzhou then Beijing in half an hour alerts, in three hours does not; within a province never', async () => {
    const store = await open();
    const clock = manualClock('2026-05-12T02:00:00Z');
    const risk = new RiskChecks(clock);
    const seen = (personNo: string, region: string, at: string) =>
      store.transaction((tx) =>
        risk.onCardPresent(tx, {
          personNo,
          cardNumber: `C${personNo}`,
          cardStatus: 'active',
          kind: 'identity_check',
          terminalId: `t-${region}`,
          region,
          at,
        }),
      );
    assert.deepEqual(await seen('P1', '330300', '2026-05-12T01:00:00.000Z'), []);
    const fast = await seen('P1', '110100', '2026-05-12T01:30:00.000Z');
    assert.deepEqual(
      fast.map((a) => a.ruleCode),
      ['TOO_FAR_TOO_FAST'],
    );
    assert.equal(fast[0]!.details.km, 1124);
    assert.deepEqual(await seen('P2', '330300', '2026-05-12T01:00:00.000Z'), []);
    assert.deepEqual(await seen('P2', '110100', '2026-05-12T04:00:00.000Z'), [], '375 km/h is a train');
    assert.deepEqual(await seen('P3', '330100', '2026-05-12T01:00:00.000Z'), []);
    assert.deepEqual(await seen('P3', '330300', '2026-05-12T01:01:00.000Z'), [], 'one province');
    const daily = await risk.daily(store, '2026-05-12');
    assert.deepEqual(
      daily.find((d) => d.ruleCode === 'TOO_FAR_TOO_FAST'),
      { ruleCode: 'TOO_FAR_TOO_FAST', findings: 1, raised: 0 },
      'the daily job finds the same trip, already raised',
    );
  });

  test('PAYMENT_AFTER_DEATH in the daily job: found for each payment after the month of death, raised once', async () => {
    const store = await open();
    const clock = manualClock('2026-04-10T02:00:00Z');
    const [p] = await addPensioners(store, clock, 1, { regions: ['330300'], firstMonths: ['2026-01'] });
    await runPensionMonth(store, clock, { month: '2026-04' });
    const risk = new RiskChecks(clock);
    // Registered without the alerts being raised at once (as data loaded from elsewhere would be).
    await store.run(
      `INSERT INTO life_event_registrations (person_no, kind, event_date, source, registered_at, registered_by)
       VALUES (?, 'death', '2026-02-27', 'feed', ?, 'test')`,
      [p!.personNo, clock().toISOString()],
    );
    const first = await risk.daily(store, '2026-04-09');
    assert.deepEqual(
      first.find((d) => d.ruleCode === 'PAYMENT_AFTER_DEATH'),
      { ruleCode: 'PAYMENT_AFTER_DEATH', findings: 2, raised: 2 },
      'March and April',
    );
    const again = await risk.daily(store, '2026-04-10');
    assert.deepEqual(again.find((d) => d.ruleCode === 'PAYMENT_AFTER_DEATH')?.raised, 0);
    const registered = await store.transaction((tx) =>
      registerLifeEvent(
        tx,
        clock,
        { personNo: p!.personNo, kind: 'imprisonment', date: '2026-01-20' },
        'operator',
        OPERATOR,
      ),
    );
    assert.deepEqual(
      registered.alerts.map((a) => a.details.month),
      ['2026-02'],
      'a payment is recovered once, whichever registration found it',
    );
  });
});
