import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { whatif } from '@sscard/registry-protocol';
import { breakdownSchema } from '@sscard/registry-protocol/settlement';
import { manualClock } from '../clock.js';
import { type IssuedCardData, type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import {
  type Desks,
  deskClient,
  exampleJson,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '../testing/settlement-fixture.js';
import { replayInputsBackfill } from '../store/replay-inputs-backfill.js';
import type { SettlementAmounts } from '../settlement/calculation.js';
import { runPolicyWhatIf } from './policy-whatif.js';
import { replaySettlements } from './settlement-replay.js';

const HOUR = 3_600_000;

const forecast = {
  firstMonth: '2027-01',
  months: 24,
  method: 'seasonal' as const,
  growthBp: 0,
  warningMonths: 3,
  pooled: { openingBalance: 50_000_00, monthlyIncome: 1_000_00 },
  largeExpense: { openingBalance: 10_000_00, monthlyIncome: 100_00 },
};

forEachEngine('policy what-if', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let desks: Desks;
  // 10:00 China time on a working day of the example policy's year.
  const clock = manualClock('2026-03-10T02:00:00.000Z');
  const admin = () => ({ token: t.adminToken });
  let a: IssuedCardData;
  let b: IssuedCardData;
  let c: IssuedCardData;

  /** Settles `lines` for the card at the desk; answers the settlement id. */
  const settle = async (
    desk: ReturnType<typeof deskClient>,
    card: IssuedCardData,
    bill: string,
    visitType: 'outpatient' | 'inpatient',
  ): Promise<string> => {
    const { quote } = await desk.quote(card, exampleLines(bill), { visitType });
    const s = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(card, quote),
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    clock.advance(HOUR / 4);
    return s.body.settlementId as string;
  };

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
    desks = await setUpSettlementWorld(t);
    [a, b, c] = [await insuredCard(t), await insuredCard(t), await insuredCard(t)];
    const credit = await t.call('POST', `/v1/holders/${c.personNo}/account-credits`, {
      ...admin(),
      body: { amount: 30_000, reference: 'payroll-2026-02' },
    });
    assert.equal(credit.status, 200, JSON.stringify(credit.body));
    const h2 = deskClient(t, desks.h2a, 'desk-2a');
    const h3 = deskClient(t, desks.h3, 'desk-3');
    await settle(h2, a, 'outpatient-bill.json', 'outpatient');
    await settle(h3, a, 'outpatient-bill.json', 'outpatient');
    const cancelled = await settle(h2, b, 'inpatient-bill.json', 'inpatient');
    // Cancelled after another of the holder's settlements: its accumulators stood in between.
    await settle(h3, b, 'outpatient-bill.json', 'outpatient');
    const undo = await h2.post('/v1/settlement/cancel', { settlementId: cancelled });
    assert.equal(undo.status, 200, JSON.stringify(undo.body));
    clock.advance(HOUR / 4);
    await settle(h2, b, 'inpatient-bill.json', 'inpatient');
    await settle(h2, c, 'outpatient-bill.json', 'outpatient');
    // A second version with a low pooled ceiling: the large-expense fund comes in.
    const v2 = exampleJson('policy-330300-310-2026.json') as { parameters: Record<string, unknown> };
    const published = await t.call('POST', '/v1/settlement/policies', {
      ...admin(),
      body: {
        ...v2,
        effectiveFrom: '2026-04-01',
        parameters: { ...v2.parameters, pooledFundCeiling: 2_000_000 },
      },
    });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    clock.set('2026-04-02T02:00:00.000Z');
    await settle(h3, a, 'inpatient-bill.json', 'inpatient');
    await settle(h3, a, 'inpatient-bill.json', 'inpatient');
    await settle(h2, c, 'outpatient-bill.json', 'outpatient');
    await settle(h3, b, 'inpatient-bill.json', 'inpatient');
  });
  after(() => t.service.close());

  const store = () => t.service.store;
  const recordedBreakdowns = async () => {
    const rows = await store().all<{ settlement_id: string; breakdown: string }>(
      'SELECT settlement_id, breakdown FROM settlements',
    );
    return new Map(rows.map((r) => [r.settlement_id, breakdownSchema.parse(JSON.parse(r.breakdown))]));
  };

  test('replayed under the unchanged policy, every recorded settlement comes out exactly as recorded', async () => {
    const recorded = await recordedBreakdowns();
    const replayed = new Map<string, SettlementAmounts>();
    // A small page, so that the replay crosses pages and its keyset continues correctly.
    await replaySettlements(
      store(),
      { region: '330300', scheme: '310', year: 2026, changes: {} },
      (s) => replayed.set(s.settlementId, s.replayed),
      { pageSize: 3 },
    );
    assert.equal(replayed.size, 10);
    assert.equal(recorded.size, 10);
    // Everything but the per-line split, which the replay does not redo: no policy changes it.
    for (const [id, { lines: _, ...b }] of recorded)
      assert.deepEqual(replayed.get(id), b, `settlement ${id}`);
    // The fixture reached the large-expense fund and the account, so those steps were replayed too.
    assert.ok([...recorded.values()].some((b) => b.hifmi_pay > 0));
    assert.ok([...recorded.values()].some((b) => b.acct_pay > 0));
  });

  test('the inputs the migration builds for settlements recorded before it are the ones the engine writes', async () => {
    const written = await store().all<{ settlement_id: string; input: string }>(
      'SELECT settlement_id, input FROM settlement_replay_inputs',
    );
    const built = await store().all<{ settlement_id: string; input: string }>(
      replayInputsBackfill(store().dialect),
    );
    assert.equal(written.length, 10);
    const byId = new Map(built.map((r) => [r.settlement_id, JSON.parse(r.input)]));
    for (const w of written)
      assert.deepEqual(byId.get(w.settlement_id), JSON.parse(w.input), w.settlement_id);
  });

  test('split by person over threads, the replay tallies what it does on one thread', async () => {
    const base = exampleJson('policy-330300-310-2026.json') as { parameters: whatif.PolicyChanges };
    const ratios = structuredClone(base.parameters.ratios!);
    ratios.outpatient['2'].in_service = 9000;
    const request = {
      region: '330300',
      scheme: '310' as const,
      year: 2026,
      changes: { outpatientDeductible: { '1': 0, '2': 0, '3': 0 }, ratios },
      forecast,
    };
    const one = await runPolicyWhatIf(store(), request, { threads: 1, pageSize: 3 });
    assert.ok(one.changedSettlements > 0);
    // A holder's part is the code of the last character of their person number modulo the
    // threads. Random person numbers: take the fewest threads that put the holders in more than
    // one part (there is one unless all three numbers end alike), and four, where a part is empty.
    const ends = (await store().all<{ p: string }>('SELECT DISTINCT person_no AS p FROM settlements')).map(
      (r) => r.p.charCodeAt(r.p.length - 1),
    );
    assert.equal(ends.length, 3);
    const spreading = [2, 3, 4, 5, 6, 7, 8, 9, 10].find((n) => new Set(ends.map((e) => e % n)).size > 1);
    const counts = [...new Set([spreading ?? 2, 4])];
    for (const threads of counts) {
      const progress: number[] = [];
      const split = await runPolicyWhatIf(store(), request, {
        threads,
        pageSize: 3,
        onProgress: (done) => {
          progress.push(done);
        },
      });
      assert.deepEqual(split, one, `${threads} threads`);
      assert.deepEqual(progress, [3, 6, 9, 10]);
    }
    // Stopped after its first page, a run on threads stops them too (else this file would not end).
    let checks = 0;
    await assert.rejects(
      runPolicyWhatIf(store(), request, { threads: 2, pageSize: 3, stopped: () => ++checks > 1 }),
      (e: Error & { code?: string }) => e.code === 'ANALYSIS_STOPPED',
    );
  });

  const run = async (body: unknown): Promise<whatif.AnalysisJob> => {
    const started = await t.call('POST', '/v1/analyses/policy-what-if', { ...admin(), body });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    for (;;) {
      const job = await t.call('GET', `/v1/analyses/policy-what-if/${started.body.jobId}`, admin());
      assert.equal(job.status, 200, JSON.stringify(job.body));
      if (job.body.status !== 'running') return job.body;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  test('an unchanged policy over the API: no settlement changed, the funds as recorded', async () => {
    const job = await run({ region: '330300', scheme: '310', year: 2026, changes: {}, forecast });
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.deepEqual([job.done, job.total], [10, 10]);
    const r = job.result as whatif.PolicyWhatIfResult;
    assert.equal(r.settlements, 9);
    assert.equal(r.ended, 1);
    assert.equal(r.changedSettlements, 0);
    const sums = await store().get<{ p: number | string; l: number | string }>(
      `SELECT SUM(hifp_pay) AS p, SUM(hifmi_pay) AS l FROM settlements s
       WHERE NOT EXISTS (SELECT 1 FROM settlement_endings e WHERE e.settlement_id = s.settlement_id)`,
    );
    assert.deepEqual(r.funds.before, { pooled: Number(sums!.p), largeExpense: Number(sums!.l) });
    assert.deepEqual(r.funds.after, r.funds.before);
    assert.deepEqual(
      [r.patients.total, r.patients.same, r.patients.payMore, r.patients.payLess],
      [3, 3, 0, 0],
    );
    assert.deepEqual(r.forecast.pooled.after, r.forecast.pooled.before);
    // Seasonal: January 2027 spends what January 2026 spent (nothing), March what March spent.
    assert.equal(r.forecast.pooled.before.months[2]!.spending, r.monthly[2]!.before.pooled);
    assert.equal(r.forecast.pooled.before.months[0]!.balance, forecast.pooled.openingBalance + 1_000_00);
  });

  test('lower deductibles and higher ratios: the funds pay more, patients less, and two runs compare', async () => {
    const base = exampleJson('policy-330300-310-2026.json') as { parameters: whatif.PolicyChanges };
    const ratios = structuredClone(base.parameters.ratios!);
    ratios.outpatient['2'].in_service = 9000;
    const changed = {
      outpatientDeductible: { '1': 0, '2': 0, '3': 0 },
      ratios,
    };
    const unchanged = await run({ region: '330300', scheme: '310', year: 2026, changes: {}, forecast });
    const job = await run({ region: '330300', scheme: '310', year: 2026, changes: changed, forecast });
    assert.equal(job.status, 'done', JSON.stringify(job));
    const r = job.result as whatif.PolicyWhatIfResult;
    assert.ok(r.changedSettlements > 0);
    assert.ok(r.funds.after.pooled > r.funds.before.pooled);
    assert.equal(r.patients.payMore, 0);
    assert.equal(r.patients.payLess, 3);
    // The personal part moves by exactly what the funds take over.
    const personal = (side: 'before' | 'after') => r.personal.reduce((s, p) => s + p[side], 0);
    const funds = (side: 'before' | 'after') => r.funds[side].pooled + r.funds[side].largeExpense;
    assert.equal(personal('before') - personal('after'), funds('after') - funds('before'));
    assert.equal(
      r.patients.distribution.reduce((s, d) => s + d.patients, 0),
      3,
    );
    const compared = await t.call(
      'GET',
      `/v1/analyses/policy-what-if-comparison?a=${unchanged.jobId}&b=${job.jobId}`,
      admin(),
    );
    assert.equal(compared.status, 200, JSON.stringify(compared.body));
    const figure = (path: string) =>
      (compared.body as whatif.Comparison).figures.find((f) => f.path === path);
    assert.deepEqual(figure('funds.after.pooled'), {
      path: 'funds.after.pooled',
      a: r.funds.before.pooled,
      b: r.funds.after.pooled,
      difference: r.funds.after.pooled - r.funds.before.pooled,
    });
    const listed = await t.call('GET', '/v1/analyses/policy-what-if', admin());
    assert.equal(listed.status, 200);
    assert.ok(listed.body.jobs.some((j: whatif.AnalysisJob) => j.jobId === job.jobId && j.result === null));
  });

  test('a year without a published policy fails its run with the reason; bad input is refused', async () => {
    const job = await run({ region: '330300', scheme: '310', year: 2025, changes: {}, forecast });
    assert.equal(job.status, 'failed');
    assert.match(job.error!, /no 310 policy/);
    const bad = await t.call('POST', '/v1/analyses/policy-what-if', {
      ...admin(),
      body: { region: '330300', scheme: '310', year: 2026, changes: { pooledFundCeiling: -1 }, forecast },
    });
    assert.equal(bad.status, 400);
    const pensionOnly = await t.call('POST', '/v1/operator-tokens', {
      ...admin(),
      body: { name: 'pension desk', scopes: ['pension:manage'] },
    });
    assert.equal(pensionOnly.status, 201, JSON.stringify(pensionOnly.body));
    const refused = await t.call('GET', '/v1/analyses/policy-what-if', { token: pensionOnly.body.token });
    assert.equal(refused.status, 403);
  });

  test('fund warnings: a forecast balance below its months of spending and a month above its season, raised once as alerts', async () => {
    for (const [month, amount] of [
      ['2025-03', 100_000],
      ['2026-03', 130_000],
    ] as const) {
      await store().run(
        `INSERT INTO pension_payments (person_no, month, amount, paying_region, run_month, paid_at, txn_id)
         VALUES (?, ?, ?, '330300', ?, ?, ?)`,
        [a.personNo, month, amount, month, `${month}-05T02:00:00.000Z`, `pension:${month}`],
      );
    }
    const body = {
      region: '330300',
      scheme: '310',
      asOf: '2026-04',
      method: 'linear',
      warningMonths: 3,
      seasonalShareBp: 2000,
      funds: {
        pooled: { openingBalance: 1_000, monthlyIncome: 0 },
        largeExpense: { openingBalance: 1_000_000_000, monthlyIncome: 0 },
        pension: { openingBalance: 1_000_000_000, monthlyIncome: 0 },
      },
    };
    const checked = await t.call('POST', '/v1/funds/check', { ...admin(), body });
    assert.equal(checked.status, 200, JSON.stringify(checked.body));
    const r = checked.body as whatif.FundCheck;
    const pooledMarch = r.funds.pooled.history.find((h) => h.month === '2026-03')!.spending;
    const sums = await store().get<{ p: number | string }>(
      `SELECT SUM(hifp_pay) AS p FROM settlements s WHERE business_date LIKE '2026-03-%'
       AND NOT EXISTS (SELECT 1 FROM settlement_endings e WHERE e.settlement_id = s.settlement_id)`,
    );
    assert.equal(pooledMarch, Number(sums!.p));
    const low = r.warnings.find((w) => w.rule === 'FUND_BALANCE_LOW')!;
    assert.equal(low.fund, 'pooled');
    assert.equal(low.month, '2026-05');
    assert.equal(low.figures.threshold, 3 * low.figures.spending!);
    assert.equal(low.figures.balance, 1_000 - low.figures.spending!);
    assert.ok(low.alertId);
    const season = r.warnings.filter((w) => w.rule === 'FUND_SPENDING_ABOVE_SEASON');
    assert.deepEqual(
      season.map((w) => [w.fund, w.month, w.figures]),
      [['pension', '2026-03', { spending: 130_000, lastYear: 100_000, shareBp: 2000 }]],
    );
    const alerts = await t.call('GET', '/v1/risk/alerts?ruleCode=FUND_SPENDING_ABOVE_SEASON', admin());
    assert.equal(alerts.status, 200);
    assert.equal(alerts.body.alerts.length, 1);
    assert.equal(alerts.body.alerts[0].details.lastYear, 100_000);
    const again = await t.call('POST', '/v1/funds/check', { ...admin(), body });
    assert.ok((again.body as whatif.FundCheck).warnings.every((w) => w.alertId === null));
  });

  test('a standing fund check is made by the daily job once a day, as of the last complete month', async () => {
    const settings = {
      region: '330300',
      scheme: '310',
      method: 'linear',
      warningMonths: 2,
      seasonalShareBp: 2000,
      funds: {
        pooled: { openingBalance: 2_000, monthlyIncome: 0 },
        largeExpense: { openingBalance: 1_000_000_000, monthlyIncome: 0 },
        pension: { openingBalance: 1_000_000_000, monthlyIncome: 0 },
      },
    };
    const set = await t.call('POST', '/v1/funds/watches', { ...admin(), body: settings });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.lastCheckedDay, null);
    const fundAlerts = async () => {
      const r = await t.call('GET', '/v1/risk/alerts?ruleCode=FUND_BALANCE_LOW', admin());
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.alerts as { details: Record<string, unknown> }[];
    };
    const before = (await fundAlerts()).length;
    const rollUp = async () => {
      const r = await t.call('POST', '/v1/statistics/roll-up', { ...admin(), body: {} });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    // The clock stands on 2026-04-02 (China): March is the last complete month.
    await rollUp();
    const alerts = await fundAlerts();
    assert.equal(alerts.length, before + 1);
    const raised = alerts.find((a) => a.details.asOf === '2026-03' && a.details.warningMonths === 2)!;
    assert.ok(raised, JSON.stringify(alerts));
    assert.equal(raised.details.fund, 'pooled');
    assert.equal(raised.details.threshold, 2 * (raised.details.spending as number));
    let [watch] = (await t.call('GET', '/v1/funds/watches', admin())).body.watches;
    assert.deepEqual(
      [watch.lastCheckedDay, watch.lastCheckedAsOf, watch.warningMonths],
      ['2026-04-02', '2026-03', 2],
    );

    // Again the same day: not checked again. The next day: checked, the same warning not raised twice.
    await rollUp();
    clock.advance(24 * HOUR);
    await rollUp();
    assert.equal((await fundAlerts()).length, before + 1);
    [watch] = (await t.call('GET', '/v1/funds/watches', admin())).body.watches;
    assert.equal(watch.lastCheckedDay, '2026-04-03');

    const audit = await store().all<{ action: string }>(
      "SELECT action FROM audit_log WHERE action IN ('funds.watch', 'funds.unwatch') ORDER BY seq",
    );
    const removed = await t.call('POST', '/v1/funds/watches/remove', {
      ...admin(),
      body: { region: '330300', scheme: '310' },
    });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body.watches, []);
    const gone = await t.call('POST', '/v1/funds/watches/remove', {
      ...admin(),
      body: { region: '330300', scheme: '310' },
    });
    assert.equal(gone.status, 404);
    assert.deepEqual(
      audit.map((a) => a.action),
      ['funds.watch'],
    );
  });
});
