import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { runPensionMonth } from './monthly-run.js';

forEachEngine('pension amounts re-assessed and releases from imprisonment', ({ freshUrl, dataDir }) => {
  let t: TestService;
  const clock = manualClock('2026-01-05T02:00:00Z');
  before(async () => {
    // The clock moves through months: the operator's token outlives them.
    t = await startTestService(await freshUrl(), join(dataDir(), 'reassessment'), clock, undefined, {
      operatorTokens: { lifetimeDays: 3650, maxLifetimeDays: 3650 },
    });
  });
  after(() => t?.service.close());
  const admin = () => ({ token: t.adminToken });
  let seq = 40;

  const pensioner = async (monthlyAmount: number) => {
    const a = await t.call('POST', '/v1/holders', {
      ...admin(),
      body: {
        idNumber: makeCitizenId('330302', '19520212', ++seq),
        name: '周建国',
        ethnicity: '01',
        region: '330300',
      },
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const personNo = a.body.holder.personNo as string;
    const g = await t.call('POST', '/v1/pensions/entitlements', {
      ...admin(),
      body: { personNo, monthlyAmount, firstMonth: '2026-01', payingRegion: '330300' },
    });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    return personNo;
  };
  const payments = async (personNo: string) =>
    (await t.call('GET', `/v1/pensions/entitlements/${personNo}/payments`, admin())).body.payments.map(
      (p: { month: string; amount: number }) => `${p.month} ${p.amount}`,
    );
  const run = (month: string, at: string) => {
    clock.set(at);
    return runPensionMonth(t.service.store, clock, { month, region: '330300' });
  };

  test('a monthly amount re-assessed from a month: paid at the new amount from it, withheld months at theirs; audited once', async () => {
    clock.set('2026-01-05T02:00:00Z');
    const personNo = await pensioner(200_000);
    await run('2026-01', '2026-01-06T02:00:00Z');
    const reassess = (body: unknown) =>
      t.call('POST', `/v1/pensions/entitlements/${personNo}/amount`, { ...admin(), body });
    const paid = await reassess({ monthlyAmount: 210_000, fromMonth: '2026-01', reason: 'correction' });
    assert.equal(paid.status, 409);
    assert.equal(paid.body.code, 'PENSION_AMOUNT_ALREADY_PAID');
    const changed = await reassess({
      monthlyAmount: 210_000,
      fromMonth: '2026-03',
      reason: 'yearly adjustment',
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.entitlement.monthlyAmount, 210_000);
    const again = await reassess({
      monthlyAmount: 210_000,
      fromMonth: '2026-03',
      reason: 'yearly adjustment',
    });
    assert.deepEqual(again.body.history, changed.body.history, 'the same re-assessment changes nothing');
    assert.deepEqual(
      changed.body.history.map(
        (h: { action: string; monthlyAmount: number }) => `${h.action} ${h.monthlyAmount}`,
      ),
      ['grant 200000', 'reassess 210000'],
    );
    // February and March withheld by no run, paid by April's: each at the amount in force for it.
    await run('2026-04', '2026-04-06T02:00:00Z');
    assert.deepEqual(await payments(personNo), [
      '2026-01 200000',
      '2026-02 200000',
      '2026-03 210000',
      '2026-04 210000',
    ]);
    const audit = await t.service.store.all<{ details: string }>(
      "SELECT details FROM audit_log WHERE action = 'pension.reassess' AND subject = ?",
      [`holder ${personNo}`],
    );
    assert.equal(audit.length, 1);
    assert.equal(JSON.parse(audit[0]!.details).previousAmount, 200_000);
    const bad = await reassess({ monthlyAmount: 0, fromMonth: '2026-06', reason: 'x' });
    assert.equal(bad.status, 400);
  });

  test('a release from imprisonment: active and unfrozen again, the term unpaid, the months withheld before it paid by the next run', async () => {
    clock.set('2026-01-05T02:00:00Z');
    const personNo = await pensioner(150_000);
    const other = await pensioner(160_000);
    await run('2026-01', '2026-01-06T02:00:00Z');
    clock.set('2026-02-20T02:00:00Z');
    const imprisoned = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo, kind: 'imprisonment', date: '2026-02-10', reference: 'JD-2026-0107' },
    });
    assert.equal(imprisoned.body.entitlement.status, 'stopped', JSON.stringify(imprisoned.body));
    clock.set('2026-06-02T02:00:00Z');
    const release = (body: unknown) =>
      t.call('POST', '/v1/pensions/life-events/release', { ...admin(), body });
    const released = await release({ personNo, date: '2026-05-20', reference: 'RL-2026-0033' });
    assert.equal(released.status, 200, JSON.stringify(released.body));
    assert.equal(released.body.entitlement.status, 'active');
    assert.equal(released.body.entitlement.frozenAt, null);
    assert.equal(released.body.entitlement.lastMonth, null);
    assert.deepEqual(released.body.unpaid, { fromMonth: '2026-03', toMonth: '2026-05' });
    assert.equal(released.body.registration.releasedOn, '2026-05-20');
    assert.equal((await release({ personNo, date: '2026-05-20' })).body.replayed, true);
    const otherDay = await release({ personNo, date: '2026-05-21' });
    assert.equal(otherDay.body.code, 'LIFE_EVENT_NOT_RELEASABLE');
    const never = await release({ personNo: other, date: '2026-05-20' });
    assert.equal(never.status, 409);
    assert.equal(never.body.code, 'LIFE_EVENT_NOT_RELEASABLE');

    await run('2026-06', '2026-06-03T02:00:00Z');
    assert.deepEqual(await payments(personNo), ['2026-01 150000', '2026-02 150000', '2026-06 150000']);
    await run('2026-06', '2026-06-03T03:00:00Z');
    assert.equal((await payments(personNo)).length, 3, 'a run again pays nothing twice');
    const history = (await t.call('GET', `/v1/pensions/entitlements/${personNo}`, admin())).body.history;
    assert.deepEqual(
      history.map((h: { action: string; status: string }) => `${h.action} ${h.status}`),
      ['grant active', 'imprisonment stopped', 'release active'],
    );
  });
});
