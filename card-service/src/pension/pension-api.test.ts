import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import { account, balanceOf } from '../settlement/ledger.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { assertPaidOnce } from '../testing/pension-fixture.js';
import { runPensionMonth } from './monthly-run.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

forEachEngine('pension entitlements through the operator API', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let url: string;
  const clock = manualClock('2026-03-10T02:00:00Z');
  before(async () => {
    url = await freshUrl();
    t = await startTestService(url, join(dataDir(), 'api'), clock);
  });
  after(() => t?.service.close());

  const holder = async (seq: number) => {
    const a = await t.call('POST', '/v1/holders', {
      token: t.adminToken,
      body: {
        idNumber: makeCitizenId('330302', '19580301', seq),
        name: '王秀英',
        ethnicity: '01',
        region: '330300',
      },
    });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    return a.body.holder.personNo as string;
  };

  test('grant, suspend, resume, stop: each change in the history; the runs pay what is due, withheld months once', async () => {
    const personNo = await holder(11);
    const token = { token: t.adminToken };
    const granted = await t.call('POST', '/v1/pensions/entitlements', {
      ...token,
      body: { personNo, monthlyAmount: 312_456, firstMonth: '2026-01', payingRegion: '330300' },
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.equal(granted.body.entitlement.status, 'active');
    assert.equal(granted.body.history[0].action, 'grant');
    const again = await t.call('POST', '/v1/pensions/entitlements', {
      ...token,
      body: { personNo, monthlyAmount: 1, firstMonth: '2026-01', payingRegion: '330300' },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'PENSION_ENTITLEMENT_EXISTS');
    const unknown = await t.call('POST', '/v1/pensions/entitlements', {
      ...token,
      body: { personNo: 'PNOBODY', monthlyAmount: 1, firstMonth: '2026-01', payingRegion: '330300' },
    });
    assert.equal(unknown.status, 404);
    const zero = await t.call('POST', '/v1/pensions/entitlements', {
      ...token,
      body: { personNo, monthlyAmount: 0, firstMonth: '2026-13', payingRegion: '330300' },
    });
    assert.equal(zero.status, 400);
    assert.equal(zero.body.code, 'VALIDATION_FAILED');

    // March's run pays January to March (the backlog from the first month).
    const store = t.service.store;
    const [march] = await runPensionMonth(store, clock, { month: '2026-03', region: '330300' });
    assert.deepEqual(march, { region: '330300', holders: 1, payments: 3, amount: 3 * 312_456 });
    assert.equal(await balanceOf(store, account.card(personNo)), 3 * 312_456);

    const suspended = await t.call('POST', `/v1/pensions/entitlements/${personNo}/status`, {
      ...token,
      body: { status: 'suspended', reason: 'investigation' },
    });
    assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
    const twice = await t.call('POST', `/v1/pensions/entitlements/${personNo}/status`, {
      ...token,
      body: { status: 'suspended', reason: 'again' },
    });
    assert.equal(twice.body.code, 'PENSION_STATUS_ILLEGAL');
    for (const month of ['2026-04', '2026-05']) {
      const [r] = await runPensionMonth(store, clock, { month, region: '330300' });
      assert.equal(r!.payments, 0, `${month}: suspended, nothing paid`);
    }
    await t.call('POST', `/v1/pensions/entitlements/${personNo}/status`, {
      ...token,
      body: { status: 'active', reason: 'cleared' },
    });
    const [june] = await runPensionMonth(store, clock, { month: '2026-06', region: '330300' });
    assert.equal(june!.payments, 3, 'April and May withheld, paid with June');
    const [juneAgain] = await runPensionMonth(store, clock, { month: '2026-06', region: '330300' });
    assert.equal(juneAgain!.payments, 0);
    await assertPaidOnce(store, '2026-06');

    const stopped = await t.call('POST', `/v1/pensions/entitlements/${personNo}/status`, {
      ...token,
      body: { status: 'stopped', reason: 'emigrated', lastMonth: '2026-06' },
    });
    assert.equal(stopped.body.entitlement.lastMonth, '2026-06');
    const restart = await t.call('POST', `/v1/pensions/entitlements/${personNo}/status`, {
      ...token,
      body: { status: 'active', reason: 'no' },
    });
    assert.equal(restart.status, 409);
    const [july] = await runPensionMonth(store, clock, { month: '2026-07' });
    assert.equal(july!.payments, 0, 'stopped: nothing more');

    const record = await t.call('GET', `/v1/pensions/entitlements/${personNo}`, token);
    assert.deepEqual(
      record.body.history.map((h: { action: string; status: string }) => `${h.action}:${h.status}`),
      ['grant:active', 'suspend:suspended', 'resume:active', 'stop:stopped'],
    );
    const payments = await t.call('GET', `/v1/pensions/entitlements/${personNo}/payments`, token);
    assert.deepEqual(
      payments.body.payments.map((p: { month: string; runMonth: string }) => `${p.month}@${p.runMonth}`),
      [
        '2026-01@2026-03',
        '2026-02@2026-03',
        '2026-03@2026-03',
        '2026-04@2026-06',
        '2026-05@2026-06',
        '2026-06@2026-06',
      ],
    );
    const runs = await t.call('GET', '/v1/pensions/runs?month=2026-06', token);
    assert.equal(runs.status, 200, JSON.stringify(runs.body));
    assert.deepEqual(
      runs.body.runs.map((r: { region: string; payments: number; completedAt: string | null }) => [
        r.region,
        r.payments,
        r.completedAt !== null,
      ]),
      [['330300', 3, true]],
    );
    const audit = await t.call('GET', '/v1/audit?limit=1000', token);
    const actions = audit.body.entries.map((e: { action: string }) => e.action);
    for (const a of [
      'pension.grant',
      'pension.suspend',
      'pension.resume',
      'pension.stop',
      'pension.pay',
      'pension.runCompleted',
    ])
      assert.ok(actions.includes(a), `${a} audited`);
  });

  test('a token without pension:manage is refused', async () => {
    const made = await t.call('POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name: 'reader', scopes: ['registry:read'] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const refused = await t.call('GET', '/v1/pensions/runs?month=2026-06', { token: made.body.token });
    assert.equal(refused.status, 403);
  });
});

test('sscard-service pension: grant, run with a progress line and a summary, show', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'sscard-pension-cli-'));
  try {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', SSCARD_DATA_DIR: dir, SSCARD_LOG_LEVEL: 'silent' },
      });
    const seeded = run('seed', '--demo', '--count', '3');
    assert.equal(seeded.status, 0, seeded.stderr);
    const { openStore } = await import('../store/open-store.js');
    const store = await openStore({ dataDir: dir, databaseUrl: '' });
    const people = await store.all<{ person_no: string }>('SELECT person_no FROM holders ORDER BY person_no');
    await store.close();
    for (const p of people) {
      const g = run(
        'pension',
        'grant',
        p.person_no,
        '--amount',
        '250000',
        '--first-month',
        '2026-10',
        '--region',
        '330300',
      );
      assert.equal(g.status, 0, g.stderr);
    }
    assert.equal(
      run(
        'pension',
        'grant',
        people[0]!.person_no,
        '--amount',
        'x',
        '--first-month',
        '2026-10',
        '--region',
        '330300',
      ).status,
      2,
    );
    const paid = run('pension', 'run', '2026-11', '--region', '330300', '--batch', '2');
    assert.equal(paid.status, 0, paid.stderr);
    // Not a terminal: the meter writes lines, the first before any holder is paid, the last when all are.
    assert.match(paid.stderr, /330300\s+\[-{20}\]\s+0% 0 of 3 holders, .* holders\/s, ETA/);
    assert.match(paid.stderr, /330300\s+\[#{20}\] 100% 3 of 3 holders, [\d,]+ holders\/s, ETA 0:00/);
    assert.match(paid.stderr, /2026-11 330300: 3 holders, 6 payments, 1500000 fen in \d+:\d\d/);
    const runs = JSON.parse(paid.stdout);
    assert.equal(runs[0].payments, 6);
    const shown = JSON.parse(run('pension', 'show', people[1]!.person_no).stdout);
    assert.deepEqual(
      shown.payments.map((p: { month: string }) => p.month),
      ['2026-10', '2026-11'],
    );
    const stop = run('pension', 'status', people[1]!.person_no, 'stopped', '--reason', 'deceased');
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal(JSON.parse(stop.stdout).entitlement.status, 'stopped');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
