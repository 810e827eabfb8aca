import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import type { whatif } from '@sscard/registry-protocol';
import {
  deskClient,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '@sscard/card-service/testing/settlement-fixture';
import type { Page } from 'playwright-core';
import { type ConsoleUnderTest, apiGet, startConsole } from './console-fixture.js';

/**
 * The policy what-if in the console, end to end: a region's settlements of the year made at real
 * desks, the year's policy loaded into the form and changed, the replay run by the service with
 * its progress on screen, the result read off the page against the service's own figures, an
 * unchanged replay that changes nothing, and the two runs compared. Then the fund warnings raised
 * from the same settlements, and a data quality scan with a correction made from the page.
 */
describe('operator console: policy what-if, fund warnings, data quality', () => {
  let c: ConsoleUnderTest;
  const year = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();

  before(async () => {
    c = await startConsole();
    const t = c.api;
    const desks = await setUpSettlementWorld(t);
    if (year !== 2026) {
      // The example policy is 2026's; the service settles under the policy of today's year.
      const policy = (await import('@sscard/card-service/testing/settlement-fixture')).exampleJson(
        'policy-330300-310-2026.json',
      ) as Record<string, unknown>;
      const published = await t.call('POST', '/v1/settlement/policies', {
        token: t.adminToken,
        body: { ...policy, year, effectiveFrom: `${year}-01-01` },
      });
      assert.equal(published.status, 201, JSON.stringify(published.body));
    }
    const h2 = deskClient(t, desks.h2a, 'desk-2a');
    const h3 = deskClient(t, desks.h3, 'desk-3');
    for (const [desk, bill, visitType] of [
      [h2, 'outpatient-bill.json', 'outpatient'],
      [h3, 'outpatient-bill.json', 'outpatient'],
      [h2, 'inpatient-bill.json', 'inpatient'],
    ] as const) {
      const card = await insuredCard(t);
      const { quote } = await desk.quote(card, exampleLines(bill), { visitType });
      const s = await desk.post('/v1/settlement/settle', {
        quoteId: quote.quoteId,
        proof: desk.quoteProof(card, quote),
      });
      assert.equal(s.status, 200, JSON.stringify(s.body));
    }
  });

  after(async () => {
    await c?.close();
  });

  const runOnPage = async (page: Page): Promise<string> => {
    const before = await page.locator('[data-testid="runs"] input[type="checkbox"]').count();
    await page.locator('[data-action="run"]').click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    // The new run is listed with the kept ones.
    await page.locator('[data-testid="runs"] input[type="checkbox"]').nth(before).waitFor();
    return (await page
      .locator('[data-testid="runs"] input[type="checkbox"]')
      .first()
      .getAttribute('data-job'))!;
  };

  it('changes the deductibles, replays the year with progress, shows the service’s figures, and compares two runs', async () => {
    const token = await c.token('policy desk', ['settlement:manage']);
    const page = await c.open(token);
    const pages = await page
      .locator('nav a[data-page]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-page')));
    // Settlement policy work: the policy versions (publishing) and the what-if.
    assert.deepEqual(pages, ['policy', 'policy-what-if']);
    await page.locator('a[data-page="policy-what-if"]').click();

    const scope = page.locator('[data-testid="what-if-scope"]');
    await scope.locator('input[name="region"]').fill('330300');
    await scope.locator('select[name="scheme"]').selectOption('310');
    await scope.locator('input[name="year"]').fill(String(year));
    await scope.locator('button[type="submit"]').click();
    const form = page.locator('[data-testid="what-if-parameters"]');
    await form.waitFor();
    // The loaded policy's figures, in yuan and percent.
    assert.equal(await form.locator('input[name="outpatientDeductible.2"]').inputValue(), '800.00');
    assert.equal(await form.locator('input[name="ratios.outpatient.2.in_service"]').inputValue(), '60');
    for (const level of ['1', '2', '3'])
      await form.locator(`input[name="outpatientDeductible.${level}"]`).fill('0');
    await form.locator('input[name="ratios.inpatient.2.in_service"]').fill('95');
    await form.locator('input[name="pooledOpening"]').fill('1000');
    await form.locator('input[name="pooledIncome"]').fill('10');
    await form.locator('select[name="method"]').selectOption('linear');
    await c.screenshot(page, 'what-if-form');

    const changedRun = await runOnPage(page);
    const job = (await apiGet(c, token, `/v1/analyses/policy-what-if/${changedRun}`)) as whatif.AnalysisJob;
    assert.equal(job.status, 'done');
    assert.deepEqual((job.parameters as { changes: Record<string, unknown> }).changes.outpatientDeductible, {
      '1': 0,
      '2': 0,
      '3': 0,
    });
    const r = job.result as unknown as whatif.PolicyWhatIfResult;
    assert.equal(r.settlements, 3);
    assert.equal(r.changedSettlements, 3);
    assert.ok(r.funds.after.pooled > r.funds.before.pooled);
    const shown = page.locator('[data-testid="what-if-result"]');
    assert.equal(await shown.locator('[data-testid="changed-settlements"]').textContent(), '3');
    const pooledRow = shown.locator('[data-testid="fund-spending"] tbody tr').first();
    const yuan = (fen: number) =>
      (fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    const cells = await pooledRow.locator('td').allTextContents();
    assert.deepEqual(cells.slice(1, 3), [yuan(r.funds.before.pooled), yuan(r.funds.after.pooled)]);
    assert.match((await shown.locator('[data-testid="patients"]').textContent()) ?? '', /少付 3 人/);
    // A 1000-yuan pooled fund with 10 yuan a month cannot carry three months of this spending.
    const warning = r.forecast.pooled.after.warning!;
    assert.ok(warning);
    await shown
      .locator('[data-testid="forecast-pooled"] .notice-error', { hasText: warning.month })
      .waitFor();
    await c.screenshot(page, 'what-if-result');

    // The policy as published: nothing changes.
    await scope.locator('button[type="submit"]').click();
    // The form is filled again from the published version.
    const deductible = form.locator('input[name="outpatientDeductible.2"]');
    while ((await deductible.inputValue()) !== '800.00') await page.waitForTimeout(50);
    const unchangedRun = await runOnPage(page);
    await shown.locator('[data-testid="changed-settlements"]', { hasText: /^0$/ }).waitFor();
    const unchanged = (await apiGet(
      c,
      token,
      `/v1/analyses/policy-what-if/${unchangedRun}`,
    )) as whatif.AnalysisJob;
    assert.deepEqual((unchanged.parameters as { changes: object }).changes, {});
    assert.deepEqual((unchanged.result as unknown as whatif.PolicyWhatIfResult).funds.after, r.funds.before);

    // The two runs side by side.
    await page.locator(`[data-testid="runs"] input[data-job="${changedRun}"]`).check();
    await page.locator(`[data-testid="runs"] input[data-job="${unchangedRun}"]`).check();
    await page.locator('[data-action="compare"]').click();
    const row = page.locator('[data-testid="comparison"] tr[data-key="funds.after.pooled"]');
    await row.waitFor();
    const compared = await row.locator('td').allTextContents();
    assert.equal(compared[0], 'funds.after.pooled');
    await c.screenshot(page, 'what-if-comparison');
    await page.context().close();
  });

  it('forecasts the funds and shows the warnings raised into the alert list, with their figures', async () => {
    const token = await c.token('fund desk', ['risk:manage']);
    const page = await c.open(token);
    await page.locator('a[data-page="fund-warnings"]').click();
    const form = page.locator('[data-testid="fund-check"]');
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    await form.locator('input[name="region"]').fill('330300');
    await form.locator('input[name="asOf"]').fill(today);
    await form.locator('select[name="method"]').selectOption('linear');
    await form.locator('input[name="pooledOpening"]').fill('1000');
    await form.locator('input[name="largeExpenseOpening"]').fill('100000000');
    await form.locator('input[name="pensionOpening"]').fill('100000000');
    await form.locator('button[type="submit"]').click();
    const row = page.locator('[data-testid="fund-warnings"] tr', { hasText: '预测余额低于预警月数的支出' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /统筹基金.*新提醒/);
    const alerts = (await apiGet(c, token, '/v1/risk/alerts?ruleCode=FUND_BALANCE_LOW')) as {
      alerts: { details: { fund: string; balance: number } }[];
    };
    assert.equal(alerts.alerts.length, 1);
    assert.equal(alerts.alerts[0]!.details.fund, 'pooled');
    const balance = (alerts.alerts[0]!.details.balance / 100).toLocaleString('zh-CN', {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    assert.ok(((await row.textContent()) ?? '').includes(`余额 ${balance} 元`));

    // Left standing: the daily job checks the region as of the last complete month.
    await page.locator('[data-testid="fund-watch"]').click();
    const watched = page.locator('[data-testid="fund-watches"] tr', { hasText: '330300' });
    await watched.filter({ hasText: '尚未检查' }).waitFor();
    const rolled = await c.api.call('POST', '/v1/statistics/roll-up', { token: c.api.adminToken, body: {} });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    const watches = (await apiGet(c, token, '/v1/funds/watches')) as {
      watches: { region: string; lastCheckedDay: string | null }[];
    };
    assert.equal(
      watches.watches[0]!.lastCheckedDay,
      new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10),
    );
    await page.reload();
    await page.locator('a[data-page="fund-warnings"]').click();
    await page
      .locator('[data-testid="fund-watches"] tr', { hasText: watches.watches[0]!.lastCheckedDay! })
      .waitFor();
    await c.screenshot(page, 'fund-warnings');
    await page.context().close();
  });

  it('scans the registry, lists a bad check character and corrects the ID number from the page', async () => {
    const valid = makeCitizenId('330302', '19660606', 77);
    const created = await c.api.call('POST', '/v1/holders', {
      token: c.api.adminToken,
      body: { idNumber: valid, name: '李娜', ethnicity: '01', region: '330300', relations: [] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const personNo = created.body.holder.personNo as string;
    const wrong = `${valid.slice(0, 17)}${valid[17] === '0' ? '1' : '0'}`;
    // A record from before numbers were checked at entry.
    await c.api.service.store.run('UPDATE holders SET id_number = ? WHERE person_no = ?', [wrong, personNo]);

    const token = await c.token('registry desk', ['registry:read', 'registry:write']);
    const page = await c.open(token);
    await page.locator('a[data-page="data-quality"]').click();
    await page.locator('[data-action="scan"]').click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    const row = page.locator('[data-testid="findings"] tr', { hasText: '身份证校验位错误' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', new RegExp(`应为 ${valid[17]}`));
    assert.doesNotMatch((await row.textContent()) ?? '', new RegExp(valid.slice(6, 14)));
    await c.screenshot(page, 'data-quality-findings');
    await row.locator('input[name="value"]').fill(valid);
    await row.locator('input[name="note"]').fill('checked against the household register');
    await row.locator('button[value="correct"]').click();
    await page.locator('.notice-ok', { hasText: '已处理' }).waitFor();
    await page
      .locator('[data-testid="findings"] tr', { hasText: '身份证校验位错误' })
      .waitFor({ state: 'detached' });
    const holder = (await apiGet(c, token, `/v1/holders/${personNo}`)) as { holder: { idNumber: string } };
    assert.equal(holder.holder.idNumber, valid);
    await c.screenshot(page, 'data-quality-corrected');
    await page.context().close();
  });

  it('projects a later retirement age: new pensioners and pensions paid by year, as the service figured them', async () => {
    for (const [birth, seq] of [
      ['19680315', 51],
      ['19750620', 52],
      ['19790101', 54],
    ] as const) {
      const r = await c.api.call('POST', '/v1/holders', {
        token: c.api.adminToken,
        body: {
          idNumber: makeCitizenId('330302', birth, seq),
          name: '赵敏',
          ethnicity: '01',
          region: '330300',
          relations: [],
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const token = await c.token('pension desk', ['pension:manage']);
    const page = await c.open(token);
    await page.locator('a[data-page="pension-projection"]').click();
    const form = page.locator('[data-testid="pension-projection"]');
    await form.locator('input[name="region"]').fill('330300');
    await form.locator('input[name="firstMonth"]').fill('2027-01');
    await form.locator('input[name="monthlyAmount"]').fill('3000');
    await form.locator('input[name="opening"]').fill('1000000');
    await form.locator('input[name="income"]').fill('5000');
    await form.locator('button[type="submit"]').click();
    await page.locator('[data-testid="run-progress"][data-status="done"]').waitFor();
    const runs = (await apiGet(c, token, '/v1/analyses/pension-projection')) as {
      jobs: whatif.AnalysisJob[];
    };
    const job = (await apiGet(
      c,
      token,
      `/v1/analyses/pension-projection/${runs.jobs[0]!.jobId}`,
    )) as whatif.AnalysisJob;
    const r = job.result as unknown as whatif.PensionProjectionResult;
    assert.equal(r.monthlyAmount, 300_000);
    assert.equal(r.years.length, 10);
    // Later retirement: never more new pensioners in total, and less paid out over the ten years.
    const sum = (f: (y: whatif.PensionProjectionResult['years'][number]) => number) =>
      r.years.reduce((s, y) => s + f(y), 0);
    assert.ok(sum((y) => y.newPensioners.after) <= sum((y) => y.newPensioners.before));
    assert.ok(sum((y) => y.outflow.after) < sum((y) => y.outflow.before));
    const yuan = (fen: number) =>
      (fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    for (const y of r.years) {
      const cells = await page
        .locator(`[data-testid="projection-years"] tr[data-key="${y.year}"] td`)
        .allTextContents();
      assert.deepEqual(cells, [
        String(y.year),
        String(y.newPensioners.before),
        String(y.newPensioners.after),
        yuan(y.outflow.before),
        yuan(y.outflow.after),
      ]);
    }
    await c.screenshot(page, 'pension-projection');
    await page.context().close();
  });
});
