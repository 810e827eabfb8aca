import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { manualClock } from '../clock.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { assertPaidOnce } from '../testing/pension-fixture.js';
import {
  type Desks,
  deskClient,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '../testing/settlement-fixture.js';
import { runPensionMonth } from './monthly-run.js';

forEachEngine('pension eligibility certification', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let desks: Desks;
  const clock = manualClock('2026-01-10T02:00:00Z');
  before(async () => {
    t = await startTestService(
      await freshUrl(),
      join(dataDir(), 'certification'),
      clock,
      undefined,
      // The test lives through fifteen months: its operator token must too.
      { operatorTokens: { lifetimeDays: 3650, maxLifetimeDays: 3650 } },
    );
    desks = await setUpSettlementWorld(t);
  });
  after(() => t?.service.close());

  const admin = () => ({ token: t.adminToken });
  const grant = async (personNo: string) => {
    const a = await t.call('POST', '/v1/pensions/entitlements', {
      ...admin(),
      body: { personNo, monthlyAmount: 280_000, firstMonth: '2026-01', payingRegion: '330300' },
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    return a.body.entitlement;
  };
  const entitlement = async (personNo: string) =>
    (await t.call('GET', `/v1/pensions/entitlements/${personNo}`, admin())).body;
  const months = async (personNo: string) =>
    (await t.call('GET', `/v1/pensions/entitlements/${personNo}/payments`, admin())).body.payments.map(
      (p: { month: string; runMonth: string }) => `${p.month}@${p.runMonth}`,
    );
  const run = (month: string) => runPensionMonth(t.service.store, clock, { month, region: '330300' });

  test('lapse → suspension → certification at the bureau → resumption paying the withheld months once; silent certification from a settlement; the due list', async () => {
    clock.set('2026-01-10T02:00:00Z');
    const quiet = await insuredCard(t);
    const active = await insuredCard(t);
    const e = await grant(quiet.personNo);
    assert.equal(e.certifiedUntil, '2027-01-09', 'the grant starts a twelve-month cycle');
    await grant(active.personNo);

    clock.set('2026-11-30T02:00:00Z');
    let due = await t.call('GET', '/v1/pensions/certifications/due', admin());
    assert.deepEqual(due.body.holders, [], 'nobody due within 30 days yet');
    clock.set('2026-12-15T02:00:00Z');
    due = await t.call('GET', '/v1/pensions/certifications/due?withinDays=30', admin());
    assert.equal(due.status, 200, JSON.stringify(due.body));
    assert.deepEqual(
      due.body.holders.map((h: { personNo: string; lapsed: boolean }) => [h.personNo, h.lapsed]).sort(),
      [
        [active.personNo, false],
        [quiet.personNo, false],
      ].sort(),
    );
    await run('2026-12');

    // In October one of them was treated at a hospital, with the card.
    clock.set('2026-10-20T02:00:00Z');
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { quote } = await desk.quote(active, exampleLines('outpatient-bill.json'), { useAccount: false });
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(active, quote),
    });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));

    // January 2027: both cycles ended on 9 January.
    clock.set('2027-01-12T02:00:00Z');
    const [january] = await run('2027-01');
    assert.equal(january!.payments, 1, 'the holder seen at the hospital is paid; the other is not');
    const silent = await t.call(
      'GET',
      `/v1/pensions/entitlements/${active.personNo}/certifications`,
      admin(),
    );
    assert.equal(silent.body.certifications.length, 1);
    assert.equal(silent.body.certifications[0].method, 'silent');
    assert.equal(silent.body.certifications[0].evidence.kind, 'settlement');
    assert.equal(silent.body.certifications[0].validUntil, '2027-10-19');
    const suspended = await entitlement(quiet.personNo);
    assert.equal(suspended.entitlement.status, 'suspended');
    assert.equal(suspended.entitlement.suspendedFor, 'certification');
    assert.equal(suspended.history.at(-1).reason, 'certification lapsed');
    due = await t.call('GET', '/v1/pensions/certifications/due?withinDays=0', admin());
    assert.deepEqual(
      due.body.holders.map((h: { personNo: string; lapsed: boolean }) => [h.personNo, h.lapsed]),
      [[quiet.personNo, true]],
    );

    clock.set('2027-02-12T02:00:00Z');
    await run('2027-02');
    // An operator cannot be bypassed by certifying, but a lapse is lifted by it.
    clock.set('2027-03-05T02:00:00Z');
    const certified = await t.call('POST', '/v1/pensions/certifications', {
      ...admin(),
      body: { personNo: quiet.personNo, note: 'came to the bureau' },
    });
    assert.equal(certified.status, 201, JSON.stringify(certified.body));
    assert.equal(certified.body.certification.method, 'bureau');
    assert.equal(certified.body.entitlement.status, 'active');
    assert.equal(certified.body.entitlement.certifiedUntil, '2028-03-04');
    clock.set('2027-03-12T02:00:00Z');
    const [march] = await run('2027-03');
    assert.equal(march!.payments, 4, 'March for both, January and February withheld for one');
    assert.equal((await run('2027-03'))[0]!.payments, 0);
    assert.deepEqual((await months(quiet.personNo)).slice(-4), [
      '2026-12@2026-12',
      '2027-01@2027-03',
      '2027-02@2027-03',
      '2027-03@2027-03',
    ]);
    await assertPaidOnce(t.service.store, '2027-03');

    const nobody = await t.call('POST', '/v1/pensions/certifications', {
      ...admin(),
      body: { personNo: 'PNOBODY' },
    });
    assert.equal(nobody.body.code, 'PENSION_NOT_CERTIFIABLE');
  });

  test('at a kiosk or bank counter: the card present with its PIN verified, once per key; not without the PIN, not at a hospital desk', async () => {
    clock.set('2027-03-20T02:00:00Z');
    const c = await insuredCard(t);
    await grant(c.personNo);
    const kiosk = deskClient(t, desks.kiosk, 'kiosk-s');
    const key = kiosk.nextKey();
    const body = { cardNumber: c.cardNumber, proof: await kiosk.proof(c, 'payment') };
    const done = await kiosk.post('/v1/pensions/certifications/card', body, key);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.certification.method, 'kiosk');
    assert.equal(done.body.certification.terminalId, 'kiosk-s');
    const again = await kiosk.post('/v1/pensions/certifications/card', body, key);
    assert.equal(again.body.replayed, true);
    const noPin = await kiosk.post('/v1/pensions/certifications/card', {
      cardNumber: c.cardNumber,
      proof: await kiosk.proof(c, 'presence'),
    });
    assert.equal(noPin.status, 403);
    assert.equal(noPin.body.code, 'PIN_NOT_VERIFIED');
    const forged = await kiosk.post('/v1/pensions/certifications/card', {
      cardNumber: c.cardNumber,
      proof: { ...(await kiosk.proof(c, 'payment')), cryptogram: '00'.repeat(8) },
    });
    assert.equal(forged.body.code, 'CARD_PRESENCE_FAILED');
    const hospital = deskClient(t, desks.h2a, 'desk-2a');
    const refused = await hospital.post('/v1/pensions/certifications/card', {
      cardNumber: c.cardNumber,
      proof: await hospital.proof(c, 'payment'),
    });
    assert.equal(refused.status, 403);
    const listed = await t.call('GET', `/v1/pensions/entitlements/${c.personNo}/certifications`, admin());
    assert.equal(listed.body.certifications.length, 1, 'one certification for the key, none refused');
  });

  test('the statement of the card in a kiosk’s reader: its balance and payments, with the PIN verified; not for another card', async () => {
    clock.set('2027-03-25T02:00:00Z');
    const c = await insuredCard(t);
    const other = await insuredCard(t);
    await t.call('POST', '/v1/pensions/entitlements', {
      ...admin(),
      body: { personNo: c.personNo, monthlyAmount: 123_456, firstMonth: '2027-02', payingRegion: '330300' },
    });
    await run('2027-03');
    const kiosk = deskClient(t, desks.kiosk, 'kiosk-s');
    const statement = await kiosk.post('/v1/pensions/statement', {
      cardNumber: c.cardNumber,
      proof: await kiosk.proof(c, 'payment'),
    });
    assert.equal(statement.status, 200, JSON.stringify(statement.body));
    assert.equal(statement.body.cardAccountBalance, 2 * 123_456);
    assert.equal(statement.body.pension.status, 'active');
    assert.equal(statement.body.pension.frozen, false);
    assert.deepEqual(
      statement.body.payments.map((p: { month: string }) => p.month),
      ['2027-03', '2027-02'],
    );
    const noPin = await kiosk.post('/v1/pensions/statement', {
      cardNumber: c.cardNumber,
      proof: await kiosk.proof(c, 'presence'),
    });
    assert.equal(noPin.body.code, 'PIN_NOT_VERIFIED');
    const someoneElse = await kiosk.post('/v1/pensions/statement', {
      cardNumber: other.cardNumber,
      proof: await kiosk.proof(c, 'payment'),
    });
    assert.equal(someoneElse.status, 403);
    assert.equal(someoneElse.body.code, 'CARD_PRESENCE_FAILED');
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const hospital = await desk.post('/v1/pensions/statement', {
      cardNumber: c.cardNumber,
      proof: await desk.proof(c, 'payment'),
    });
    assert.equal(hospital.status, 403);
  });

  test('the due list in pages: soonest cycle end first, then person number, each page from the cursor of the one before', async () => {
    const granted: { personNo: string; certifiedUntil: string }[] = [];
    for (const [day, count] of [
      ['2027-04-02', 3],
      ['2027-04-01', 2],
    ] as const) {
      clock.set(`${day}T02:00:00Z`);
      for (let i = 0; i < count; i++) {
        const c = await insuredCard(t);
        const a = await t.call('POST', '/v1/pensions/entitlements', {
          ...admin(),
          body: {
            personNo: c.personNo,
            monthlyAmount: 150_000,
            firstMonth: '2027-04',
            payingRegion: '440300',
          },
        });
        assert.equal(a.status, 201, JSON.stringify(a.body));
        granted.push({ personNo: c.personNo, certifiedUntil: a.body.entitlement.certifiedUntil });
      }
    }
    const expected = granted
      .sort(
        (a, b) => a.certifiedUntil.localeCompare(b.certifiedUntil) || a.personNo.localeCompare(b.personNo),
      )
      .map((g) => `${g.certifiedUntil} ${g.personNo}`);
    assert.deepEqual([...new Set(granted.map((g) => g.certifiedUntil))].sort(), ['2028-03-31', '2028-04-01']);

    clock.set('2028-03-15T02:00:00Z');
    const due = (query: string) =>
      t.call('GET', `/v1/pensions/certifications/due?withinDays=30&region=440300&${query}`, admin());
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await due(`limit=2${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      pages.push(
        page.body.holders.map(
          (h: { certifiedUntil: string; personNo: string }) => `${h.certifiedUntil} ${h.personNo}`,
        ),
      );
      cursor = page.body.nextCursor;
    } while (cursor !== null && pages.length < 10);
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
    );
    assert.deepEqual(pages.flat(), expected);
    const whole = await due('limit=1000');
    assert.deepEqual([whole.body.holders.length, whole.body.nextCursor], [5, null]);
    // Fifteen days later the first cycles have ended: lapsed, still first.
    clock.set('2028-04-01T02:00:00Z');
    const later = await due('limit=1');
    assert.deepEqual(
      [later.body.holders[0].personNo, later.body.holders[0].lapsed, later.body.nextCursor],
      [expected[0]!.split(' ')[1], true, `2028-03-31:${expected[0]!.split(' ')[1]}`],
    );

    for (const query of ['limit=1001', 'limit=0', 'after=somewhere']) {
      const refused = await due(query);
      assert.deepEqual([refused.status, refused.body.code], [400, 'VALIDATION_FAILED'], query);
    }
  });
});
