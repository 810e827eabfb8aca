import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ConsoleUnderTest, startConsole } from './console-fixture.js';

/**
 * The operator console as card-service serves it: its headers, sign-in with an operator token,
 * the pages a token's scopes allow, and the terminals page doing real work (an enrolment code, a
 * revocation the terminal feels on its next request).
 */
describe('operator console: sign-in, scopes and terminals', () => {
  let c: ConsoleUnderTest;

  before(async () => {
    c = await startConsole();
  });

  after(async () => {
    await c?.close();
  });

  it('is served under /console/ with a strict content security policy, and no token in any URL', async () => {
    const answer = await c.api.call('GET', '/console/');
    assert.equal(answer.status, 200);
    const csp = String(answer.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|https?:/);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['cache-control'], 'no-cache');

    const token = await c.token('terminal desk', ['terminals:manage']);
    const page = await c.open();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.locator('#token').fill(token);
    await page.locator('.signin button[type="submit"]').click();
    await page.locator('[data-testid="operator"]').waitFor();
    assert.ok(urls.some((u) => u.endsWith('/v1/operator')));
    assert.ok(
      urls.every((u) => !u.includes(token.slice(4, 20))),
      'the token appears in a URL',
    );
    assert.equal(await page.evaluate("sessionStorage.getItem('sscard.console.token')"), token);
    // Nothing came from anywhere but the service.
    const origin = new URL(c.api.service.url).origin;
    assert.ok(urls.every((u) => u.startsWith(origin) || u.startsWith('blob:') || u.startsWith('data:')));
    await page.context().close();
  });

  it('refuses a wrong token and keeps nothing of it', async () => {
    const page = await c.open();
    await page.locator('#token').fill('sst_0123456789abcdef_notarealsecretnotarealsecretnotarealsecre');
    await page.locator('.signin button[type="submit"]').click();
    await page.locator('.signin .notice-error').waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('sscard.console.token')"), null);
    await page.context().close();
  });

  it('shows each operator only the pages its scopes allow', async () => {
    const terminalsOnly = await c.open(await c.token('terminal desk', ['terminals:manage']));
    const pages = await terminalsOnly
      .locator('nav a[data-page]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-page')));
    assert.deepEqual(pages, ['terminals']);
    await c.screenshot(terminalsOnly, 'terminals-only');
    await terminalsOnly.context().close();

    const admin = await c.open(c.api.adminToken);
    const adminPages = await admin
      .locator('nav a[data-page]')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-page')));
    assert.ok(adminPages.includes('terminals'));
    await admin.context().close();

    // A token whose scopes open no page of the console: signed in, shown nothing to work on.
    const metrics = await c.open(await c.token('scraper', ['metrics:read']));
    assert.equal(await metrics.locator('nav a[data-page]').count(), 0);
    await metrics.locator('main .notice-info').waitFor();
    await metrics.context().close();
  });

  it('makes an enrolment code and revokes a terminal, whose next request is refused', async () => {
    const identity = await c.api.enrolTerminal('KIOSK-CONSOLE-1', 'kiosk');
    const before = await c.api.call('GET', '/v1/terminal', { identity });
    assert.equal(before.status, 200);

    const page = await c.open(await c.token('terminal desk', ['terminals:manage']));
    await page.locator('a[data-page="terminals"]').click();
    const row = page.locator('[data-testid="terminals"] tr[data-key="KIOSK-CONSOLE-1"]');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /在用/);

    await page.locator('[data-testid="enrolment-form"] input[name="terminalId"]').fill('PHARM-CONSOLE-2');
    await page.locator('[data-testid="enrolment-form"] select[name="type"]').selectOption('pharmacy');
    await page.locator('[data-testid="enrolment-form"] input[name="region"]').fill('330302');
    await page.locator('[data-testid="enrolment-form"] button[type="submit"]').click();
    const code = (await page.locator('[data-testid="enrolment-code"]').textContent()) ?? '';
    assert.match(code, /^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);
    await page.locator('[data-testid="terminals"] tr[data-key="PHARM-CONSOLE-2"]').waitFor();

    page.once('dialog', (d) => void d.accept());
    await row.locator('button[data-action="revoke"]').click();
    await page.locator('.notice-ok', { hasText: 'KIOSK-CONSOLE-1' }).waitFor();
    // The list is read again after the revocation; the row then shows it.
    await row.filter({ hasText: '已吊销' }).waitFor();
    assert.equal(await row.locator('button[data-action="revoke"]').count(), 0);
    await c.screenshot(page, 'terminals-revoked');
    await page.context().close();

    const afterRevoke = await c.api.call('GET', '/v1/terminal', { identity });
    assert.equal(afterRevoke.status, 401);
    assert.equal(afterRevoke.body.code, 'CLIENT_CERT_REVOKED');
  });
});
