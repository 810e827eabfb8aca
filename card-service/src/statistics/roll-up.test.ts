import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { silentLogger } from '@sscard/log';
import { appendAudit } from '../audit/audit-log.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import type { Store } from '../store/store.js';
import { StatisticsRollUp } from './roll-up.js';
import { statisticsReport, tableCsv } from './reports.js';

/**
 * The daily roll-ups on both engines: a day's events counted on their China-time day (an event
 * half an hour after midnight China time is the new day's, though still the old day in UTC),
 * grouped by region and drilled from province to city to district; recomputing changes nothing;
 * a settlement ended on a later day is taken off on that later day.
 */
const NOW = new Date('2026-03-10T04:00:00.000Z'); // 12:00 in China
const clock = () => NOW;

async function seed(store: Store): Promise<void> {
  const at = '2026-03-09T02:00:00.000Z';
  const holders: [string, string][] = [
    ['P1', '330302'],
    ['P2', '330302'],
    ['P3', '440106'],
  ];
  for (const [personNo, region] of holders) {
    await store.run(
      `INSERT INTO holders (person_no, id_number, name, gender, ethnicity, birth_date, birthplace, region, created_at, updated_at)
       VALUES (?, ?, 'x', '1', '01', '1960-01-01', ?, ?, ?, ?)`,
      [personNo, `ID${personNo}`, region, region, at, at],
    );
  }
  const cards: [string, string, string, string][] = [
    ['C00000001', 'P1', '330302', 'active'],
    ['C00000002', 'P2', '330302', 'lost'],
    ['C00000003', 'P3', '440106', 'active'],
  ];
  for (const [cardNumber, personNo, region, status] of cards) {
    await store.run(
      `INSERT INTO cards (card_number, card_id_code, person_no, spec_version, card_type, algorithm, issuing_region,
         init_org, issue_date, expiry_date, status, status_changed_at, created_at)
       VALUES (?, ?, ?, '2.00', '1', '3des', ?, 'org', '2026-03-09', '2036-03-09', ?, ?, ?)`,
      [cardNumber, `${region}D156000005${cardNumber}`, personNo, region, status, at, at],
    );
    await store.run(
      "INSERT INTO registry_history (entity, entity_id, action, changes, actor, at) VALUES ('card', ?, 'issue', '{}', 'op', ?)",
      [cardNumber, at],
    );
  }
  await store.run(
    "INSERT INTO registry_history (entity, entity_id, action, changes, actor, at) VALUES ('card', 'C00000002', 'reportFormalLoss', '{}', 'op', ?)",
    [at],
  );
  await store.run(
    "INSERT INTO terminals (terminal_id, type, region, status, created_at) VALUES ('K1', 'kiosk', '330302', 'active', ?), ('H1', 'hospital', '440106', 'active', ?)",
    [at, at],
  );
  const checks: [string, string, string][] = [
    ['K1', 'ok', at],
    ['K1', 'ok', at],
    ['K1', 'CARD_LOST', at],
    ['H1', 'ok', at],
    // 00:30 on 9 March in China, still 8 March in UTC: the 9th's.
    ['K1', 'ok', '2026-03-08T16:30:00.000Z'],
    // 23:59 on 8 March in China.
    ['K1', 'ok', '2026-03-08T15:59:00.000Z'],
  ];
  for (const [terminalId, result, when] of checks) {
    await store.transaction((tx) =>
      appendAudit(tx, () => new Date(when), {
        terminalId,
        action: 'identity.check',
        subject: 'card',
        result,
      }),
    );
  }
  for (const [n, fee] of [
    [1, 10_000],
    [2, 30_000],
  ] as const) {
    await store.run(
      `INSERT INTO settlement_visits (visit_id, terminal_id, institution_id, treatment_region, card_number, person_no,
         scheme, insured_region, person_group, visit_type, hospital_level, his_visit_no, registered_at)
       VALUES (?, 'H1', 'I1', '330302', 'C00000001', 'P1', '310', '330302', 'in_service', 'outpatient', 2, ?, ?)`,
      [`V${n}`, `HIS${n}`, at],
    );
    await store.run(
      `INSERT INTO settlements (settlement_id, visit_id, quote_id, terminal_id, attempt_key, institution_id, card_number,
         person_no, scheme, insured_region, treatment_region, policy_year, policy_version, settled_at, business_date,
         breakdown, accumulators_delta, medfee_sumamt, hifp_pay, hifmi_pay, acct_pay, psn_cash_pay)
       VALUES (?, ?, 'Q', 'H1', ?, 'I1', 'C00000001', 'P1', '310', '330302', '330302', 2026, 1, ?, '2026-03-09',
         '{}', '{}', ?, ?, 0, ?, ?)`,
      [`S${n}`, `V${n}`, `A${n}`, at, fee, fee / 2, fee / 4, fee / 4],
    );
  }
  await store.run(
    "INSERT INTO settlement_endings (settlement_id, kind, ended_at, terminal_id) VALUES ('S1', 'reversed', '2026-03-10T01:00:00.000Z', 'H1')",
  );
  for (const personNo of ['P1', 'P3']) {
    await store.run(
      `INSERT INTO pension_payments (person_no, month, amount, paying_region, run_month, paid_at, txn_id)
       VALUES (?, '2026-03', 300000, ?, '2026-03', ?, 'T')`,
      [personNo, personNo === 'P1' ? '330302' : '440106', at],
    );
    await store.run(
      `INSERT INTO pension_entitlements (person_no, monthly_amount, first_month, paying_region, status, created_at, updated_at, certified_until)
       VALUES (?, 300000, '2020-01', ?, 'active', '2020-01-01T00:00:00.000Z', ?, ?)`,
      [
        personNo,
        personNo === 'P1' ? '330302' : '440106',
        at,
        personNo === 'P1' ? '2026-12-31' : '2026-01-31',
      ],
    );
  }
  await store.run(
    `INSERT INTO risk_alerts (alert_id, rule_code, severity, action, person_no, subject, words, details, dedup_key, raised_at)
     VALUES ('R1', 'TOO_MANY_SETTLEMENTS', 'medium', 'alert', 'P1', 's', 'w', '{}', 'd1', ?)`,
    [at],
  );
}

forEachEngine('statistics roll-ups', (engine) => {
  let store: Store;
  let job: StatisticsRollUp;

  before(async () => {
    store = await engine.open();
    await seed(store);
    job = new StatisticsRollUp(
      store,
      clock,
      { intervalSeconds: 0, backfillDays: 400, snapshotMinutes: 60 },
      silentLogger,
    );
  });

  it('catches up from the first event day to today, and marks days older than yesterday final', async () => {
    const result = await job.run();
    assert.deepEqual(result.days, ['2026-03-08', '2026-03-09', '2026-03-10']);
    assert.equal(result.snapshotDay, '2026-03-10');
    const days = await store.all<{ day: string; final: unknown }>(
      'SELECT day, final FROM stats_days ORDER BY day',
    );
    assert.deepEqual(
      days.map((d) => [d.day, Number(d.final)]),
      [
        ['2026-03-08', 1],
        ['2026-03-09', 0],
        ['2026-03-10', 0],
      ],
    );
    // The next run starts after the last final day.
    assert.deepEqual((await job.run()).days, ['2026-03-09', '2026-03-10']);
  });

  it('counts identity checks on their China day, by terminal type and result, and again gives the same', async () => {
    for (let round = 0; round < 2; round++) {
      await job.run({ from: '2026-03-08', snapshot: true });
      const r = await statisticsReport(store, clock, 'identity-checks', {
        from: '2026-03-08',
        to: '2026-03-10',
      });
      assert.equal(r.region.level, 'nation');
      assert.equal(r.region.childLevel, 'province');
      assert.deepEqual(r.tables.perDay!.rows, [
        {
          day: '2026-03-08',
          total: 1,
          ok: 1,
          refused: 0,
          kiosk: 1,
          hospital: 0,
          pharmacy: 0,
          bank: 0,
          bureau: 0,
          unknown: 0,
        },
        {
          day: '2026-03-09',
          total: 5,
          ok: 4,
          refused: 1,
          kiosk: 4,
          hospital: 1,
          pharmacy: 0,
          bank: 0,
          bureau: 0,
          unknown: 0,
        },
        // A day without checks is a row of zeros.
        {
          day: '2026-03-10',
          total: 0,
          ok: 0,
          refused: 0,
          kiosk: 0,
          hospital: 0,
          pharmacy: 0,
          bank: 0,
          bureau: 0,
          unknown: 0,
        },
      ]);
      assert.deepEqual(r.tables.byRegion!.rows, [
        { region: '33', checks: 5, ok: 4 },
        { region: '44', checks: 1, ok: 1 },
      ]);
      assert.deepEqual(r.tables.byResult!.rows, [
        { result: 'ok', checks: 5 },
        { result: 'CARD_LOST', checks: 1 },
      ]);
    }
  });

  it('drills from province to city to district', async () => {
    const period = { from: '2026-03-01', to: '2026-03-10' };
    const province = await statisticsReport(store, clock, 'registry', { ...period, region: '33' });
    assert.equal(province.region.childLevel, 'city');
    assert.deepEqual(province.tables.holdersByRegion!.rows, [{ region: '3303', holders: 2 }]);
    const district = await statisticsReport(store, clock, 'registry', { ...period, region: '3303' });
    assert.deepEqual(district.tables.holdersByRegion!.rows, [{ region: '330302', holders: 2 }]);
    const cards = district.tables.cardsByStatus!.rows[0]!;
    assert.equal(cards.total, 2);
    assert.equal(cards.active, 1);
    assert.equal(cards.lost, 1);
    assert.deepEqual(district.tables.cardEventsByMonth!.rows, [
      { month: '2026-03', issued: 2, replaced: 0, lost: 1 },
    ]);
    const nation = await statisticsReport(store, clock, 'registry', period);
    assert.deepEqual(
      nation.tables.holdersByRegion!.rows.map((r) => [r.region, r.holders]),
      [
        ['33', 2],
        ['44', 1],
      ],
    );
    const other = await statisticsReport(store, clock, 'registry', { ...period, region: '440106' });
    assert.equal(other.region.level, 'district');
    assert.deepEqual(other.tables.cardEventsByMonth!.rows, [
      { month: '2026-03', issued: 1, replaced: 0, lost: 0 },
    ]);
  });

  it('takes a settlement ended on a later day off that day, and gives the payment shares', async () => {
    const r = await statisticsReport(store, clock, 'settlements', { from: '2026-03-09', to: '2026-03-10' });
    assert.deepEqual(r.tables.perDay!.rows, [
      {
        day: '2026-03-09',
        settlements: 2,
        ended: 0,
        medfee_sumamt: 40_000,
        hifp_pay: 20_000,
        hifmi_pay: 0,
        acct_pay: 10_000,
        psn_cash_pay: 10_000,
      },
      {
        day: '2026-03-10',
        settlements: -1,
        ended: 1,
        medfee_sumamt: -10_000,
        hifp_pay: -5_000,
        hifmi_pay: 0,
        acct_pay: -2_500,
        psn_cash_pay: -2_500,
      },
    ]);
    assert.deepEqual(
      r.tables.shares!.rows.map((s) => [s.amount, s.shareBp]),
      [
        [15_000, 5000],
        [0, 0],
        [7_500, 2500],
        [7_500, 2500],
      ],
    );
    assert.equal(
      tableCsv(r.tables.perDay!).split('\r\n')[0],
      'day,settlements,ended,medfee_sumamt,hifp_pay,hifmi_pay,acct_pay,psn_cash_pay',
    );
  });

  it('sums pensions by month, the certification rate and the alerts by rule', async () => {
    const p = await statisticsReport(store, clock, 'pensions', { from: '2026-03-01', to: '2026-03-10' });
    assert.deepEqual(p.tables.perMonth!.rows, [{ month: '2026-03', payments: 2, amount: 600_000 }]);
    assert.deepEqual(p.tables.certification!.rows, [
      { region: '33', active: 1, certified: 1, rateBp: 10_000 },
      { region: '44', active: 1, certified: 0, rateBp: 0 },
    ]);
    const a = await statisticsReport(store, clock, 'alerts', {
      from: '2026-03-01',
      to: '2026-03-10',
      region: '33',
    });
    assert.deepEqual(a.tables.byRule!.rows, [{ rule: 'TOO_MANY_SETTLEMENTS', raised: 1 }]);
    assert.deepEqual(a.tables.byRegion!.rows, [{ region: '3303', raised: 1 }]);
    assert.deepEqual(
      a.tables.perDay!.rows.filter((r) => r.TOO_MANY_SETTLEMENTS !== 0),
      [{ day: '2026-03-09', TOO_MANY_SETTLEMENTS: 1 }],
    );
    assert.equal(a.tables.perDay!.rows.length, 10);
  });
});
