import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '@sscard/card-service/clock';
import type { Statistics } from '@sscard/registry-protocol';
import type { Page } from 'playwright-core';
import { type ConsoleUnderTest, apiGet, startConsole } from './console-fixture.js';
import { CONSOLE_START, seedConsoleService } from './console-seed.js';

/**
 * The statistics pages in Chromium against a service with real settlements, identity checks,
 * pension payments and alerts: every chart draws the numbers the API gives for its table, the
 * regions drill from province to city to district, a table downloads as the API's CSV, and an
 * operator with the statistics scope alone sees the statistics and nothing else.
 */
const PAGES = [
  ['stats-registry', 'registry'],
  ['stats-identity', 'identity-checks'],
  ['stats-settlements', 'settlements'],
  ['stats-pensions', 'pensions'],
  ['stats-alerts', 'alerts'],
] as const;

describe('operator console: statistics', () => {
  let c: ConsoleUnderTest;
  let token: string;

  before(async () => {
    const clock = manualClock(CONSOLE_START);
    c = await startConsole({
      clock,
      overrides: { risk: { maxSettlementsPerDay: 1 }, statistics: { rollUpIntervalSeconds: 0 } },
    });
    await seedConsoleService(c.api, clock);
    token = await c.token('statistician', ['statistics:read']);
  });

  after(async () => {
    await c?.close();
  });

  async function chartsMatch(page: Page, answer: Statistics): Promise<number> {
    const panels = page.locator('section.panel[data-table]');
    await panels.first().waitFor();
    let charts = 0;
    for (const panel of await panels.all()) {
      const name = (await panel.getAttribute('data-table'))!;
      const table = answer.tables[name];
      assert.ok(table, `the page shows a table ${name} the API does not have`);
      const chart = panel.locator('.chart');
      if ((await chart.count()) === 0) continue;
      charts++;
      // What the chart was given is the table's own figures, and it drew them.
      const series = JSON.parse((await chart.getAttribute('data-series'))!) as (string | number)[][];
      const x = series.map((s) => s[0]);
      assert.deepEqual(
        x,
        table.rows.map((r) => String(r[table.columns[0]!.key])),
        `${name}: chart categories`,
      );
      const drawn = await chart.locator('svg path').count();
      assert.ok(drawn > 0, `${name}: the chart drew nothing`);
      for (const [i, row] of table.rows.entries()) {
        const numbers = series[i]!.slice(1);
        for (const n of numbers) assert.equal(typeof n, 'number');
        // Each number drawn is one of the row's figures.
        const figures = Object.values(row).filter((v) => typeof v === 'number');
        for (const n of numbers)
          assert.ok(figures.includes(n as number), `${name}: ${n} is not in ${JSON.stringify(row)}`);
      }
      // And the table beside it shows the same figures.
      const cells = await panel
        .locator('td [data-value]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));
      const expected = table.rows.flatMap((r) => table.columns.slice(1).map((col) => String(r[col.key])));
      for (const v of expected) assert.ok(cells.includes(v), `${name}: ${v} not shown in the table`);
    }
    return charts;
  }

  it('shows an operator with the statistics scope the statistics and nothing else', async () => {
    const page = await c.open(token);
    const pages = await page
      .locator('nav a[data-page]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-page')));
    assert.deepEqual(
      pages,
      PAGES.map(([id]) => id),
    );
    await page.context().close();
  });

  it('draws every chart with the numbers the API gives', async () => {
    const page = await c.open(token);
    let charts = 0;
    for (const [pageId, report] of PAGES) {
      await page.locator(`nav a[data-page="${pageId}"]`).click();
      await page.locator(`main[data-page="${pageId}"] section.panel`).first().waitFor();
      const answer = (await apiGet(c, token, `/v1/statistics/${report}`)) as Statistics;
      charts += await chartsMatch(page, answer);
      await c.screenshot(page, pageId);
    }
    assert.ok(charts >= 12, `${charts} charts drawn`);
    // The figures are the seeded ones: three settlements, one alert, four pensioners paid.
    const settlements = (await apiGet(c, token, '/v1/statistics/settlements')) as Statistics;
    const day = (t: Statistics['tables'][string]) => t.rows.find((r) => r.day === '2026-03-10')!;
    assert.equal(settlements.tables.perDay!.rows.length, 30);
    assert.equal(day(settlements.tables.perDay!).settlements, 3);
    const alerts = (await apiGet(c, token, '/v1/statistics/alerts')) as Statistics;
    assert.deepEqual(alerts.tables.byRule!.rows, [{ rule: 'TOO_MANY_SETTLEMENTS', raised: 1 }]);
    const identity = (await apiGet(c, token, '/v1/statistics/identity-checks')) as Statistics;
    assert.deepEqual([day(identity.tables.perDay!).ok, day(identity.tables.perDay!).refused], [2, 1]);
    const pensions = (await apiGet(c, token, '/v1/statistics/pensions')) as Statistics;
    assert.equal(
      pensions.tables.perMonth!.rows.reduce((n, r) => n + Number(r.payments), 0),
      6,
    );
    await page.context().close();
  });

  it('drills from the country to a province, a city and a district', async () => {
    const page = await c.open(token);
    await page.locator('nav a[data-page="stats-registry"]').click();
    const holders = page.locator('section.panel[data-table="holdersByRegion"]');
    for (const [code, child] of [
      ['33', '3303'],
      ['3303', '330300'],
    ] as const) {
      await holders.locator(`button[data-region="${code}"]`).click();
      await page.waitForURL((u) => u.hash === `#/stats-registry/${code}`);
      await holders.locator(`button[data-region="${child}"]`).waitFor();
      const answer = (await apiGet(c, token, `/v1/statistics/registry?region=${code}`)) as Statistics;
      await chartsMatch(page, answer);
    }
    await holders.locator('button[data-region="330300"]').click();
    await page.waitForURL((u) => u.hash === '#/stats-registry/330300');
    await page.locator('[data-testid="as-of"]', { hasText: '区县 330300' }).waitFor();
    await c.screenshot(page, 'stats-registry-district');
    // Back to the country through the crumbs.
    await page.locator('[data-testid="crumbs"] button[data-region=""]').click();
    await holders.locator('button[data-region="33"]').waitFor();
    await page.context().close();
  });

  it("downloads a table as the API's CSV", async () => {
    const page = await c.open(token);
    await page.locator('nav a[data-page="stats-settlements"]').click();
    const panel = page.locator('section.panel[data-table="perDay"]');
    await panel.waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.locator('button[data-action="csv"]').click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    const answer = await c.api.call('GET', '/v1/statistics/settlements/csv?table=perDay', { token });
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^text\/csv/);
    assert.equal(csv, answer.body);
    assert.match(csv, /^day,settlements,ended,medfee_sumamt,/);
    assert.match(download.suggestedFilename(), /^settlements-perDay-all-.*\.csv$/);
    await page.context().close();
  });

  it('lists the pensioners whose certification is due to an operator who manages pensions', async () => {
    const pensionToken = await c.token('pension officer', ['statistics:read', 'pension:manage']);
    const page = await c.open(pensionToken);
    await page.locator('nav a[data-page="stats-pensions"]').click();
    const due = (await apiGet(
      c,
      pensionToken,
      '/v1/pensions/certifications/due?withinDays=30&limit=200',
    )) as {
      holders: unknown[];
      nextCursor: string | null;
    };
    const panel = page.locator('section[data-table="certificationsDue"]');
    // A page at a time: the first page, as the API gives it, and no way back from it.
    await panel.locator('h2', { hasText: `第 1 页，本页 ${due.holders.length} 人` }).waitFor();
    assert.equal(await panel.locator('button[data-action="previous"]').isDisabled(), true);
    assert.equal(await panel.locator('button[data-action="next"]').isDisabled(), due.nextCursor === null);
    await page.context().close();
    // Without the pension scope the list is not offered.
    const other = await c.open(token);
    await other.locator('nav a[data-page="stats-pensions"]').click();
    await other.locator('section.panel[data-table="perMonth"]').waitFor();
    assert.equal(await other.locator('section[data-table="certificationsDue"]').count(), 0);
    await other.context().close();
  });

  it('refuses the statistics to an operator without the scope', async () => {
    const other = await c.token('terminal desk', ['terminals:manage']);
    const answer = await c.api.call('GET', '/v1/statistics/registry', { token: other });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, 'SCOPE_MISSING');
    const unknown = await c.api.call('GET', '/v1/statistics/nothing', { token });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'REPORT_UNKNOWN');
  });
});
