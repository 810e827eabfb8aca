import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { manualClock } from '../clock.js';
import { lastTwelveMonths } from '../settlement/holder-history.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import {
  type Desks,
  deskClient,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '../testing/settlement-fixture.js';
import { runPensionMonth } from './monthly-run.js';

test('the twelve months up to a month, across the turn of the year', () => {
  assert.deepEqual(lastTwelveMonths('2027-02'), [
    '2026-03',
    '2026-04',
    '2026-05',
    '2026-06',
    '2026-07',
    '2026-08',
    '2026-09',
    '2026-10',
    '2026-11',
    '2026-12',
    '2027-01',
    '2027-02',
  ]);
});

forEachEngine('the citizen summary of the card in a kiosk’s reader', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let desks: Desks;
  const clock = manualClock('2026-11-10T02:00:00Z');
  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'summary'), clock);
    desks = await setUpSettlementWorld(t);
  });
  after(() => t?.service.close());

  test('pension with this year’s total, the medical account’s balance, months and settlements; refused without the PIN, for another card, at a desk', async () => {
    const c = await insuredCard(t);
    const other = await insuredCard(t);
    const admin = { token: t.adminToken };
    const credited = await t.call('POST', `/v1/holders/${c.personNo}/account-credits`, {
      ...admin,
      body: { amount: 500_000, reference: 'payroll-summary' },
    });
    assert.equal(credited.status, 200, JSON.stringify(credited.body));
    const granted = await t.call('POST', '/v1/pensions/entitlements', {
      ...admin,
      body: { personNo: c.personNo, monthlyAmount: 312_000, firstMonth: '2026-11', payingRegion: '330300' },
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    await runPensionMonth(t.service.store, clock, { month: '2026-11', region: '330300' });

    // Two settlements in November, one in December of which one is cancelled; then January.
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const settle = async () => {
      const { quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
      const settled = await desk.post('/v1/settlement/settle', {
        quoteId: quote.quoteId,
        proof: desk.quoteProof(c, quote),
      });
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
      return settled.body as {
        settlementId: string;
        breakdown: { medfee_sumamt: number; acct_pay: number; psn_cash_pay: number };
      };
    };
    const november = [await settle(), await settle()];
    clock.set('2026-12-05T02:00:00Z');
    const cancelled = await settle();
    const undo = await desk.post('/v1/settlement/cancel', { settlementId: cancelled.settlementId });
    assert.equal(undo.status, 200, JSON.stringify(undo.body));
    clock.set('2027-01-15T02:00:00Z');
    await runPensionMonth(t.service.store, clock, { month: '2026-12', region: '330300' });
    await runPensionMonth(t.service.store, clock, { month: '2027-01', region: '330300' });

    const kiosk = deskClient(t, desks.kiosk, 'kiosk-s');
    const answer = await kiosk.post('/v1/citizens/summary', {
      cardNumber: c.cardNumber,
      proof: await kiosk.proof(c, 'payment'),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const s = answer.body;
    assert.equal(s.cardNumber, c.cardNumber);
    assert.equal(s.pension.monthlyAmount, 312_000);
    // November's and December's runs were in 2026; only January's counts for 2027.
    assert.equal(s.pension.yearTotal, 312_000);
    assert.deepEqual(
      s.pension.payments.map((p: { month: string }) => p.month),
      ['2027-01', '2026-12', '2026-11'],
    );
    const spent = november.reduce((sum, x) => sum + x.breakdown.acct_pay, 0);
    assert.equal(s.medical.balance, 500_000 - spent);
    assert.equal(s.medical.months.length, 12);
    assert.equal(s.medical.months.at(-1).month, '2027-01');
    const byMonth = Object.fromEntries(
      s.medical.months.map((m: { month: string; settlements: number; total: number }) => [m.month, m]),
    );
    assert.equal(byMonth['2026-11'].settlements, 2);
    assert.equal(
      byMonth['2026-11'].total,
      november.reduce((sum, x) => sum + x.breakdown.medfee_sumamt, 0),
    );
    assert.equal(byMonth['2026-12'].settlements, 0, 'a cancelled settlement is not counted');
    assert.deepEqual(
      s.medical.recent.map((r: { status: string }) => r.status),
      ['cancelled', 'settled', 'settled'],
    );
    assert.equal(s.medical.recent[1].institution, 'City Hospital');
    assert.equal(s.medical.recent[1].accountPaid, november[1]!.breakdown.acct_pay);
    assert.equal(s.medical.recent[1].cashPaid, november[1]!.breakdown.psn_cash_pay);

    const noPin = await kiosk.post('/v1/citizens/summary', {
      cardNumber: c.cardNumber,
      proof: await kiosk.proof(c, 'presence'),
    });
    assert.equal(noPin.body.code, 'PIN_NOT_VERIFIED');
    const someoneElse = await kiosk.post('/v1/citizens/summary', {
      cardNumber: other.cardNumber,
      proof: await kiosk.proof(c, 'payment'),
    });
    assert.equal(someoneElse.status, 403);
    assert.equal(someoneElse.body.code, 'CARD_PRESENCE_FAILED');
    const atDesk = await desk.post('/v1/citizens/summary', {
      cardNumber: c.cardNumber,
      proof: await desk.proof(c, 'payment'),
    });
    assert.equal(atDesk.status, 403);
  });
});
