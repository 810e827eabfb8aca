import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock, systemClock } from '../clock.js';
import { openStore } from '../store/open-store.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { addPensioners } from '../testing/pension-fixture.js';
import { runPensionMonth } from './monthly-run.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

forEachEngine('death and imprisonment registrations', ({ freshUrl, dataDir }) => {
  let t: TestService;
  const clock = manualClock('2026-01-05T02:00:00Z');
  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'life-events'), clock, undefined, {
      operatorTokens: { lifetimeDays: 3650, maxLifetimeDays: 3650 },
    });
  });
  after(() => t?.service.close());
  const admin = () => ({ token: t.adminToken });

  test('a death registered late stops the pension after its month, freezes it, and alerts each payment to recover', async () => {
    const holders = [];
    for (const seq of [21, 22]) {
      const a = await t.call('POST', '/v1/holders', {
        ...admin(),
        body: {
          idNumber: makeCitizenId('330302', '19490704', seq),
          name: '李桂兰',
          ethnicity: '01',
          region: '330300',
        },
      });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      const personNo = a.body.holder.personNo as string;
      const g = await t.call('POST', '/v1/pensions/entitlements', {
        ...admin(),
        body: { personNo, monthlyAmount: 200_000 + seq, firstMonth: '2026-01', payingRegion: '330300' },
      });
      assert.equal(g.status, 201, JSON.stringify(g.body));
      holders.push(personNo);
    }
    const [dead, nearMiss] = holders as [string, string];
    clock.set('2026-06-10T02:00:00Z');
    await runPensionMonth(t.service.store, clock, { month: '2026-06' });

    const registered = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo: dead, kind: 'death', date: '2026-03-15', reference: 'DC-330302-0042' },
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    const r = registered.body;
    assert.equal(r.replayed, false);
    assert.equal(r.entitlement.status, 'stopped');
    assert.equal(r.entitlement.lastMonth, '2026-03');
    assert.ok(r.entitlement.frozenAt, 'pension use frozen');
    assert.deepEqual(
      r.alerts.map((a: { details: { month: string }; amountToRecover: number; ruleCode: string }) => [
        a.ruleCode,
        a.details.month,
        a.amountToRecover,
      ]),
      [
        ['PAYMENT_AFTER_DEATH', '2026-04', 200_021],
        ['PAYMENT_AFTER_DEATH', '2026-05', 200_021],
        ['PAYMENT_AFTER_DEATH', '2026-06', 200_021],
      ],
    );

    const same = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo: dead, kind: 'death', date: '2026-03-15' },
    });
    assert.equal(same.body.replayed, true);
    assert.deepEqual(same.body.alerts, []);
    const other = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo: dead, kind: 'death', date: '2026-03-16' },
    });
    assert.equal(other.status, 409);
    assert.equal(other.body.code, 'LIFE_EVENT_CONFLICT');

    // The near miss: a death on the last day of the month paid last.
    const lastDay = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo: nearMiss, kind: 'death', date: '2026-06-30' },
    });
    assert.deepEqual(lastDay.body.alerts, [], 'June is payable: the death was in June');
    assert.equal(lastDay.body.entitlement.lastMonth, '2026-06');

    clock.set('2026-07-10T02:00:00Z');
    const [july] = await runPensionMonth(t.service.store, clock, { month: '2026-07' });
    assert.equal(july!.payments, 0, 'nothing paid after the deaths');

    const open = await t.call('GET', '/v1/risk/alerts?ruleCode=PAYMENT_AFTER_DEATH', admin());
    assert.equal(open.status, 200, JSON.stringify(open.body));
    assert.equal(open.body.alerts.length, 3);
    const first = open.body.alerts[0].alertId;
    const ack = await t.call('POST', `/v1/risk/alerts/${first}/acknowledge`, {
      ...admin(),
      body: { note: 'recovery order sent to the bank' },
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.note, 'recovery order sent to the bank');
    const twice = await t.call('POST', `/v1/risk/alerts/${first}/acknowledge`, {
      ...admin(),
      body: { note: 'again' },
    });
    assert.equal(twice.body.code, 'ALERT_ACKNOWLEDGED');
    const still = await t.call('GET', '/v1/risk/alerts', admin());
    assert.equal(still.body.alerts.length, 2);
    const done = await t.call('GET', '/v1/risk/alerts?status=acknowledged', admin());
    assert.deepEqual(
      done.body.alerts.map((a: { alertId: string }) => a.alertId),
      [first],
    );
    const audit = await t.call('GET', '/v1/audit?limit=1000', admin());
    const actions = audit.body.entries.map((e: { action: string }) => e.action);
    for (const a of ['pension.death', 'risk.alert', 'risk.acknowledge']) assert.ok(actions.includes(a), a);
  });
});

test('sscard-service pension life-events: a feed with a bad row registers nothing; a good one stops, freezes and alerts, once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sscard-feed-'));
  try {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', SSCARD_DATA_DIR: dir, SSCARD_LOG_LEVEL: 'silent' },
      });
    const store = await openStore({ dataDir: dir, databaseUrl: '' });
    const [a, b] = await addPensioners(store, systemClock, 2, {
      regions: ['330300'],
      firstMonths: ['2026-01'],
    });
    await runPensionMonth(store, manualClock('2026-04-10T02:00:00Z'), { month: '2026-04' });
    const ids = await store.all<{ id_number: string }>(
      'SELECT id_number FROM holders WHERE person_no IN (?, ?) ORDER BY person_no',
      [a!.personNo, b!.personNo],
    );
    await store.close();
    const bad = join(dir, 'bad.csv');
    await writeFile(
      bad,
      `id_number,kind,date,reference\n${ids[0]!.id_number},death,2026-02-10,MZ1\n${ids[1]!.id_number},exile,2026-02-10,X\n110101190001011234,death,2026-02-31,Y\n`,
    );
    const refused = run('pension', 'life-events', bad);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stdout, /line 3: kind/);
    assert.match(refused.stdout, /line 4: date/);
    const good = join(dir, 'good.csv');
    await writeFile(
      good,
      `id_number,kind,date,reference\n${ids[0]!.id_number},death,2026-02-10,MZ1\n${ids[1]!.id_number},imprisonment,2026-04-02,J7\n`,
    );
    const applied = run('pension', 'life-events', good);
    assert.equal(applied.status, 0, applied.stderr);
    // February paid, March and April to recover for the death; nothing for an April imprisonment.
    assert.match(applied.stderr, /2 registered, 0 known; 2 payments to recover, 300000 fen/);
    const again = run('pension', 'life-events', good);
    assert.match(again.stderr, /0 registered, 2 known; 0 payments to recover/);
    const shown = JSON.parse(run('pension', 'show', b!.personNo).stdout);
    assert.equal(shown.entitlement.status, 'stopped');
    assert.equal(shown.entitlement.lastMonth, '2026-04');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
