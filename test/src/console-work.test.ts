import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manualClock } from '@sscard/card-service/clock';
import type { RiskAlert } from '@sscard/registry-protocol';
import { type ConsoleUnderTest, apiGet, startConsole } from './console-fixture.js';
import { exampleJson, exampleLines } from '@sscard/card-service/testing/settlement-fixture';
import { CONSOLE_START, type SeededService, seedConsoleService } from './console-seed.js';

/**
 * The console's work screens in Chromium against a seeded service: risk alerts down to the
 * events behind one and its acknowledgement, holders found masked or whole by scope and a card's
 * lifecycle, terminals with their last contact, the audit log with its verification (and no
 * audit for an operator without the scope), and a settlement policy quoted on sample bills and
 * published with an effective date.
 */
describe('operator console: work screens', () => {
  let c: ConsoleUnderTest;
  let seeded: SeededService;

  before(async () => {
    const clock = manualClock(CONSOLE_START);
    c = await startConsole({
      clock,
      overrides: { risk: { maxSettlementsPerDay: 1 }, statistics: { rollUpIntervalSeconds: 0 } },
    });
    seeded = await seedConsoleService(c.api, clock);
  });

  after(async () => {
    await c?.close();
  });

  it('shows no audit to an operator without the audit scope, and the verified log to one with it', async () => {
    const desk = await c.open(await c.token('desk', ['risk:manage', 'registry:read', 'terminals:manage']));
    const pages = await desk
      .locator('nav a[data-page]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-page')));
    assert.deepEqual(pages, ['alerts', 'holders', 'terminals', 'data-quality', 'fund-warnings']);
    await desk.goto(`${c.api.service.url}/console/#/audit`);
    await desk.locator('main[data-page]').waitFor();
    assert.notEqual(await desk.locator('main').getAttribute('data-page'), 'audit');
    await desk.context().close();

    const auditor = await c.open(await c.token('auditor', ['audit:read']));
    await auditor.locator('a[data-page="audit"]').click();
    await auditor.locator('[data-testid="audit"] tr[data-key="1"]').waitFor();
    const shown = await auditor.locator('[data-testid="audit"] tbody tr').count();
    const first = (await apiGet(c, c.api.adminToken, '/v1/audit?limit=100')) as { entries: unknown[] };
    assert.equal(shown, first.entries.length);
    await auditor.locator('button[data-action="verify"]').click();
    const result = auditor.locator('[data-testid="audit-result"]');
    await result.waitFor();
    assert.equal(await result.getAttribute('data-ok'), 'true');
    const verified = (await apiGet(c, c.api.adminToken, '/v1/audit/verify')) as { entries: number };
    assert.match((await result.textContent()) ?? '', new RegExp(`共 ${verified.entries} 条`));
    await c.screenshot(auditor, 'audit');
    await auditor.context().close();
  });

  it('lists the alerts, shows the events behind one and acknowledges it with a note', async () => {
    const token = await c.token('risk officer', ['risk:manage']);
    const page = await c.open(token);
    await page.locator('a[data-page="alerts"]').click();
    const [alert] = ((await apiGet(c, token, '/v1/risk/alerts')) as { alerts: RiskAlert[] }).alerts;
    assert.ok(alert);
    assert.equal(alert.ruleCode, 'TOO_MANY_SETTLEMENTS');
    const row = page.locator(`[data-testid="alerts"] tr[data-key="${alert.alertId}"]`);
    await row.waitFor();
    // Filtered by another rule, it is not listed.
    await page.locator('[data-testid="alert-filter"] input[name="ruleCode"]').fill('TOO_FAR_TOO_FAST');
    await page.locator('[data-testid="alert-filter"] input[name="ruleCode"]').press('Enter');
    await page.locator('main p.muted', { hasText: '没有符合条件的预警' }).waitFor();
    await page.locator('[data-testid="alert-filter"] input[name="ruleCode"]').fill('TOO_MANY_SETTLEMENTS');
    await page.locator('[data-testid="alert-filter"] input[name="ruleCode"]').press('Enter');
    await row.locator(`a[data-alert="${alert.alertId}"]`).click();

    // The events behind it: the holder's two settlements of the day.
    const events = page.locator('[data-testid="alert-events"] tbody tr');
    await events.first().waitFor();
    const texts = await events.allTextContents();
    assert.equal(texts.filter((t) => t.includes('医保结算')).length, 2);
    await c.screenshot(page, 'alert-detail');

    await page
      .locator('[data-testid="acknowledge"] textarea[name="note"]')
      .fill('已电话核实，为同日两次就诊');
    await page.locator('[data-testid="acknowledge"] button[type="submit"]').click();
    await page.locator('[data-testid="alert-status"]', { hasText: '已电话核实' }).waitFor();
    assert.equal(await page.locator('[data-testid="acknowledge"]').count(), 0);
    const after = (await apiGet(c, token, '/v1/risk/alerts?status=acknowledged')) as { alerts: RiskAlert[] };
    assert.equal(after.alerts[0]?.alertId, alert.alertId);
    assert.equal(after.alerts[0]?.note, '已电话核实，为同日两次就诊');
    await page.context().close();
  });

  it('finds holders masked for a reader and whole for a writer, and carries a card through its lifecycle', async () => {
    const card = seeded.cards[1]!;
    const reader = await c.open(await c.token('reader', ['registry:read']));
    await reader.locator('a[data-page="holders"]').click();
    await reader.locator('[data-testid="holder-search"] input[name="q"]').fill(card.cardNumber);
    await reader.locator('[data-testid="holder-search"] button[type="submit"]').click();
    const masked =
      (await reader.locator('[data-testid="holders"] [data-testid="id-number"]').textContent()) ?? '';
    assert.notEqual(masked, card.ssn);
    assert.match(masked, /^\d{6}\*+\d{3}[\dX]$/);
    assert.equal(
      await reader
        .locator('[data-testid="holders"]')
        .textContent()
        .then((t) => t?.includes(card.name)),
      false,
    );
    // The holder's page shows the record masked as well, without the actions a writer has.
    await reader.locator(`[data-testid="holders"] a[data-person="${card.personNo}"]`).click();
    const shown = reader.locator('[data-testid="holder"][data-masked="true"]');
    await shown.waitFor();
    assert.equal(await shown.locator('[data-testid="id-number"]').textContent(), masked);
    const page = (await reader.locator('main').textContent()) ?? '';
    assert.ok(!page.includes(card.name) && !page.includes(card.ssn), 'nothing whole on the page');
    await reader.locator(`[data-testid="cards"] tr[data-key="${card.cardNumber}"]`).waitFor();
    assert.equal(await reader.locator(`form[data-card-actions="${card.cardNumber}"]`).count(), 0);
    await reader.context().close();

    const clerk = await c.open(await c.token('clerk', ['registry:write', 'registry:read']));
    await clerk.locator('a[data-page="holders"]').click();
    await clerk.locator('[data-testid="holder-search"] input[name="q"]').fill(card.ssn);
    await clerk.locator('[data-testid="holder-search"] button[type="submit"]').click();
    assert.equal(
      await clerk.locator('[data-testid="holders"] [data-testid="id-number"]').textContent(),
      card.ssn,
    );
    await clerk.locator(`[data-testid="holders"] a[data-person="${card.personNo}"]`).click();
    assert.equal(
      await clerk
        .locator('[data-testid="holder"][data-masked="false"] [data-testid="id-number"]')
        .textContent(),
      card.ssn,
    );
    const status = clerk.locator(`[data-testid="cards"] tr[data-key="${card.cardNumber}"] [data-status]`);
    await status.waitFor();
    assert.equal(await status.getAttribute('data-status'), 'active');

    clerk.on('dialog', (d) => void d.accept());
    const actions = clerk.locator(`form[data-card-actions="${card.cardNumber}"]`);
    await actions.locator('select[name="event"]').selectOption('reportTemporaryLoss');
    await actions.locator('input[name="reason"]').fill('持卡人来电挂失');
    await actions.locator('button[type="submit"]').click();
    await clerk
      .locator(`[data-testid="cards"] tr[data-key="${card.cardNumber}"] [data-status="temporarily_lost"]`)
      .waitFor();
    await clerk.locator(`button[data-card="${card.cardNumber}"]`).click();
    await clerk.locator('[data-testid="card-history"] td', { hasText: 'reportTemporaryLoss' }).waitFor();

    // Replaced: the old card is replaced, a new one issued that replaces it.
    await actions.locator('select[name="event"]').selectOption('replace');
    await actions.locator('button[type="submit"]').click();
    await clerk
      .locator(`[data-testid="cards"] tr[data-key="${card.cardNumber}"] [data-status="replaced"]`)
      .waitFor();
    const cards = await clerk.locator('[data-testid="cards"] tbody tr').count();
    assert.equal(cards, 2);
    await c.screenshot(clerk, 'holder');
    await clerk.context().close();
    const record = (await apiGet(c, c.api.adminToken, `/v1/holders/${card.personNo}`)) as {
      cards: { cardNumber: string; status: string; replaces: string | null }[];
    };
    assert.ok(record.cards.some((k) => k.replaces === card.cardNumber && k.status === 'issued'));
  });

  it("shows each terminal's last contact", async () => {
    const page = await c.open(await c.token('terminal desk', ['terminals:manage']));
    await page.locator('a[data-page="terminals"]').click();
    // The kiosk checked identities, the hospital desk settled; the unassigned desk never called.
    const seen = page.locator('[data-testid="terminals"] tr[data-key="kiosk-s"] [data-testid="last-seen"]');
    await seen.waitFor();
    assert.match((await seen.textContent()) ?? '', /2026/);
    const never = page.locator('[data-testid="terminals"] tr[data-key="desk-u"] [data-testid="last-seen"]');
    assert.equal(await never.textContent(), '—');
    await page.context().close();
  });

  it('quotes a policy draft on sample bills, then publishes it with an effective date', async () => {
    const token = await c.token('policy officer', ['settlement:manage']);
    const page = await c.open(token);
    await page.locator('a[data-page="policy"]').click();
    await page.locator('[data-testid="policies"] button[data-action="edit"]').first().click();
    const draftBox = page.locator('textarea[name="draft"]');
    const draft = JSON.parse(await draftBox.inputValue()) as {
      effectiveFrom: string;
      parameters: { ratios: { outpatient: Record<string, Record<string, number>> } };
    };
    draft.effectiveFrom = '2026-07-01';
    draft.parameters.ratios.outpatient['2']!.in_service = 6500;
    await draftBox.fill(JSON.stringify(draft, null, 2));
    assert.equal(await page.locator('button[data-action="publish"]').isDisabled(), true);
    await page.locator('button[data-action="quote"]').click();
    const quotes = page.locator('[data-testid="policy-quotes"]');
    await quotes.waitFor();
    // The second-level outpatient sample: the pooled fund pays more under the draft's ratio.
    const pooled = quotes
      .locator('tbody tr', { hasText: '门诊 二级医院 在职' })
      .filter({ hasText: '统筹基金' });
    const yuanIn = async (n: number) =>
      Number(((await pooled.locator('td').nth(n).textContent()) ?? '').replace(/,/g, ''));
    const [inForce, drafted] = [await yuanIn(2), await yuanIn(3)];
    assert.ok(drafted > inForce && inForce > 0, `${drafted} > ${inForce}`);
    // And the API quotes that sample the same way.
    const answer = await c.api.call('POST', '/v1/settlement/policies/quote', {
      token,
      body: {
        policy: draft,
        samples: [
          {
            name: 'outpatient',
            terms: { visitType: 'outpatient', hospitalLevel: 2, personGroup: 'in_service' },
            accumulators: exampleJson('outpatient-accumulators.json'),
            lines: exampleLines('outpatient-bill.json'),
            account: { balance: 50_000, use: true },
          },
        ],
      },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.inForceVersion, 1);
    assert.equal(answer.body.quotes[0].draft.hifp_pay, Math.round(drafted * 100));
    assert.equal(answer.body.quotes[0].inForce.hifp_pay, Math.round(inForce * 100));
    await c.screenshot(page, 'policy-quoted');

    page.once('dialog', (d) => void d.accept());
    await page.locator('button[data-action="publish"]').click();
    await page.locator('.notice-ok', { hasText: '已发布第 2 版，自 2026-07-01 起生效' }).waitFor();
    await page.locator('[data-testid="policies"] tr[data-key="310-2026-2"]').waitFor();
    const listed = (await apiGet(c, token, '/v1/settlement/policies?region=330300')) as {
      policies: { version: number; effectiveFrom: string }[];
    };
    assert.deepEqual(
      listed.policies.map((p) => [p.version, p.effectiveFrom]),
      [
        [1, '2026-01-01'],
        [2, '2026-07-01'],
      ],
    );
    await page.context().close();
  });
});
