import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import { SYSTEM } from '../registry/actor.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

forEachEngine('the monthly run started over the API and on its day of the month', ({ freshUrl, dataDir }) => {
  let t: TestService;
  // The 9th in China: the day before the configured run day.
  const clock = manualClock('2026-03-09T02:00:00Z');
  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'run-schedule'), clock, undefined, {
      operatorTokens: { lifetimeDays: 3650, maxLifetimeDays: 3650 },
      // The schedule is looked at once at start (the 9th: nothing) and then only by the test.
      pension: { runDayOfMonth: 10, runCheckSeconds: 86_400 },
    });
  });
  after(() => t?.service.close());
  const admin = () => ({ token: t.adminToken });
  let seq = 60;

  const pensioner = async (payingRegion: string, monthlyAmount: number) => {
    const a = await t.call('POST', '/v1/holders', {
      ...admin(),
      body: {
        idNumber: makeCitizenId('330302', '19540310', ++seq),
        name: '陈淑珍',
        ethnicity: '01',
        region: '330300',
      },
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const personNo = a.body.holder.personNo as string;
    const g = await t.call('POST', '/v1/pensions/entitlements', {
      ...admin(),
      body: { personNo, monthlyAmount, firstMonth: '2026-03', payingRegion },
    });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    return personNo;
  };
  const paymentsOf = async (personNo: string) =>
    (await t.call('GET', `/v1/pensions/entitlements/${personNo}/payments`, admin())).body.payments.length;
  const runs = async (month: string) =>
    (await t.call('GET', `/v1/pensions/runs?month=${month}`, admin())).body.runs as {
      region: string;
      completedAt: string | null;
      holders: number;
      amount: number;
    }[];

  test('a run asked over the API pays in the background; asked again it pays nothing twice; a month to come is refused', async () => {
    const here = [await pensioner('330300', 180_000), await pensioner('330300', 190_000)];
    const early = await t.call('POST', '/v1/pensions/runs', { ...admin(), body: { month: '2026-04' } });
    assert.equal(early.status, 409);
    assert.equal(early.body.code, 'PENSION_RUN_EARLY');
    const started = await t.call('POST', '/v1/pensions/runs', {
      ...admin(),
      body: { month: '2026-03', region: '330300' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.started, true);
    let done: Awaited<ReturnType<typeof runs>> = [];
    for (let i = 0; i < 200 && !done.some((r) => r.region === '330300' && r.completedAt); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await runs('2026-03');
    }
    const run = done.find((r) => r.region === '330300');
    assert.ok(run?.completedAt, JSON.stringify(done));
    assert.deepEqual([run.holders, run.amount], [2, 370_000]);
    for (const p of here) assert.equal(await paymentsOf(p), 1);

    // Asked twice at once: one run, the second request joins it.
    const first = t.service.pensionRuns.start('2026-03', '330300', SYSTEM);
    const second = t.service.pensionRuns.start('2026-03', undefined, SYSTEM);
    assert.deepEqual([first.started, second.started], [true, false]);
    assert.equal(second.done, first.done);
    const reports = await first.done;
    assert.equal(
      reports.reduce((n, r) => n + r.payments, 0),
      0,
      'nothing was due any more',
    );
    for (const p of here) assert.equal(await paymentsOf(p), 1);
  });

  test('on the configured day the service starts the month’s run itself, once', async () => {
    const there = await pensioner('330400', 200_000);
    assert.equal(await t.service.pensionRuns.due(), undefined, 'the 9th: not yet');
    clock.set('2026-03-10T01:00:00Z');
    const run = await t.service.pensionRuns.due();
    assert.ok(run, 'the 10th: started');
    const reports = await run;
    assert.deepEqual(
      reports.map((r) => `${r.region} ${r.payments}`),
      ['330300 0', '330400 1'],
    );
    assert.equal(await paymentsOf(there), 1);
    assert.equal(await t.service.pensionRuns.due(), undefined, 'every region completed: not again');
    clock.set('2026-03-25T01:00:00Z');
    assert.equal(await t.service.pensionRuns.due(), undefined);
    const completed = await t.service.store.all<{ action: string }>(
      "SELECT action FROM audit_log WHERE action = 'pension.runCompleted' AND subject = 'pension run 2026-03 330400'",
    );
    assert.equal(completed.length, 1);
  });
});
