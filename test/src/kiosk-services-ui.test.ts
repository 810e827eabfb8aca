/**
 * The citizen's kiosk in Debian's Chromium against the whole stack: card-service with its HSM
 * process, the kiosk agent enrolled with it and serving the UI, a private pcscd with vpcd, and the
 * card emulator whose control API puts the cards in the reader (and turns one upside down). Both
 * screen shapes, 1920×1080 and 1080×1920, through viewport changes on one browser; axe-core on
 * every main screen; screenshots and the printed statement kept under test/artifacts/.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CardDocument } from '@sscard/card-emulator/cards/index';
import { Emulator, vpcdSlot } from '@sscard/card-emulator/control/emulator';
import { createControlServer } from '@sscard/card-emulator/control/server';
import { runPensionMonth } from '@sscard/card-service/pension/monthly-run';
import { launchChromium, type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { paymentProof } from '@sscard/terminal-agent/apps/internal-authenticate';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { loadOrEnrol, openTerminalRegistry } from '@sscard/terminal-agent/registry/index';
import type { Browser, Page } from 'playwright-core';
import {
  assertAccessible,
  keepPdf,
  keepScreenshot,
  SCREEN_SHAPES,
  shapedContext,
} from './browser-artifacts.js';
import { assignDesk, deskBill, setUpDeskWorld } from './desk-fixture.js';
import { quietLog, typeOnKeypad, UI_DIR } from './kiosk-fixture.js';
import {
  type RegistryUnderTest,
  type SeededCard,
  citizenId,
  seedActiveCard,
  selectSsse,
  startRegistry,
  virtualCardChannel,
} from './registry-fixture.js';

const TERMINAL = 'K-330300-0088';
const PIN = '739215';
const MONTHLY = 286_000;
const COUNTER = '3';
const ACCOUNT = 256_780;

/**
 * Outpatient visits of `holder` settled at a hospital desk of the test world, the desk's side as the
 * agent's registry link runs it and the card's side from the holder's virtual card (VERIFY, then
 * the payment proof): the settlements the kiosk's medical account shows. Answers what the account paid.
 */
async function settleAtDesk(
  registry: RegistryUnderTest,
  holder: SeededCard,
  doc: CardDocument,
  visits: number,
) {
  const terminalId = 'H-330300-0902';
  const dataDir = await tempDir('sscard-kiosk-desk-');
  await loadOrEnrol({
    serviceUrl: registry.service.url,
    dataDir,
    caCertPath: registry.caCertPath,
    enrolmentCode: await registry.enrolmentCode(terminalId, 'hospital'),
  });
  await assignDesk(registry, terminalId);
  const desk = await openTerminalRegistry({
    serviceUrl: registry.service.url,
    dataDir,
    journalPath: join(dataDir, 'journal.sqlite3'),
    resendIntervalMs: 0,
    renewalCheckMs: 0,
  });
  let accountPaid = 0;
  try {
    for (let i = 1; i <= visits; i++) {
      const visit = await desk.settlement.register({
        cardNumber: holder.cardNumber,
        scheme: '310',
        visitType: 'outpatient',
        hisVisitNo: `KIOSK-UI-${i}`,
      });
      await desk.settlement.addBillLines(visit.visitId, deskBill('outpatient-bill.json'));
      const quote = await desk.settlement.preSettle(visit.visitId, true);
      // The payment challenge comes with the quote; the card answers it after VERIFY.
      const issued = quote.challenge;
      const card = virtualCardChannel(doc, registry.keyset);
      await selectSsse(card);
      const verified = await card.transmit({
        cla: 0x00,
        ins: 0x20,
        p1: 0x00,
        p2: 0x00,
        data: Buffer.from(PIN, 'hex'),
      });
      assert.equal(verified.sw, 0x9000);
      const cryptogram = await paymentProof(card, Buffer.from(issued.challenge, 'hex'));
      const outcome = await desk.settlement.settle(quote.quoteId, {
        challengeId: issued.challengeId,
        cryptogram: cryptogram.toString('hex').toUpperCase(),
      });
      assert.equal(outcome.kind, 'settlement');
      if (outcome.kind === 'settlement') accountPaid += outcome.settlement.breakdown.acct_pay;
    }
  } finally {
    await desk.close();
  }
  return accountPaid;
}

describe('the citizen kiosk in Chromium against card-service, the agent and the card emulator', () => {
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let agent: RunningAgent;
  let emulator: Emulator;
  let control: ReturnType<typeof createControlServer>;
  let controlUrl: string;
  let browser: Browser;
  let base: string;
  /** What the pensioner's medical account paid at the hospital desk. */
  let accountPaid = 0;
  const holders: Record<'pensioner' | 'loser' | 'forgetful', SeededCard> = {} as never;

  /** The card's document with a PIN the test knows. */
  const withPin = (seeded: SeededCard): CardDocument => ({
    ...(seeded.document as CardDocument),
    pin: { value: PIN, triesLeft: 3 },
  });

  before(async () => {
    registry = await startRegistry();
    holders.pensioner = await seedActiveCard(registry, {
      idNumber: citizenId('19500314', '046'),
      name: '王秀英',
    });
    holders.loser = await seedActiveCard(registry, {
      idNumber: citizenId('19580922', '071'),
      name: '陈建国',
    });
    holders.forgetful = await seedActiveCard(registry, {
      idNumber: citizenId('19470105', '113'),
      name: '李淑珍',
    });
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const granted = await registry.operator('POST', '/v1/pensions/entitlements', {
      personNo: holders.pensioner.personNo,
      monthlyAmount: MONTHLY,
      firstMonth: month,
      payingRegion: '330300',
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    await runPensionMonth(registry.service.store, () => new Date(), { month, region: '330300' });
    const credited = await registry.operator(
      'POST',
      `/v1/holders/${holders.pensioner.personNo}/account-credits`,
      {
        amount: ACCOUNT,
        reference: 'payroll-kiosk-ui',
      },
    );
    assert.equal(credited.status, 200, JSON.stringify(credited.body));
    await setUpDeskWorld(registry);
    accountPaid = await settleAtDesk(registry, holders.pensioner, withPin(holders.pensioner), 2);

    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir('sscard-kiosk-services-ui-');
    agent = await startAgent(
      AgentConfigSchema.parse({
        terminal: { id: TERMINAL, type: 'kiosk', region: '330300' },
        api: { port: 0, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') },
        pin: { entry: 'keypad' },
        cardService: await registry.agentCardService(TERMINAL, 'kiosk', '330300'),
        dataDir,
      }),
      quietLog,
    );
    await agent.registry.ready();
    emulator = new Emulator(registry.keyset, [
      withPin(holders.pensioner),
      withPin(holders.loser),
      withPin(holders.forgetful),
    ]);
    emulator.addSlot(vpcdSlot('card', pcscd.vpcdPorts[0]!));
    control = createControlServer(emulator);
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
    browser = await launchChromium();
    base = `http://127.0.0.1:${agent.address.port}/?counter=${COUNTER}`;
  });

  after(async () => {
    await browser?.close();
    control?.close();
    await emulator?.close();
    await agent?.stop();
    await pcscd?.stop();
    await registry?.close();
  });

  /** The spoken prompts the page fetched, since it was opened. */
  const audio: string[] = [];
  const cardIn = () => agent.readers.list().find((r) => r.role === 'user')?.card;

  /** The emulator's control API, as a person at the bench would call it. */
  async function controlCall(path: string, body: unknown = {}): Promise<void> {
    const res = await fetch(`${controlUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, `${path}: ${await res.text()}`);
  }

  async function cardId(who: keyof typeof holders): Promise<string> {
    const res = await fetch(`${controlUrl}/cards`);
    const { cards } = (await res.json()) as { cards: { id: string; holder?: string }[] };
    const card = cards.find((c) => c.holder === holders[who].name);
    assert.ok(card, `the emulator has ${holders[who].name}'s card`);
    return card.id;
  }

  async function insert(who: keyof typeof holders): Promise<void> {
    await controlCall('/slots/card/insert', { card: await cardId(who) });
    await waitFor('the card', () => cardIn());
  }

  async function takeOut(): Promise<void> {
    await controlCall('/slots/card/remove');
    await waitFor('the card out', () => !cardIn());
  }

  async function open(shape: (typeof SCREEN_SHAPES)[number] = SCREEN_SHAPES[0]): Promise<Page> {
    // Whatever the last test left, each starts with the reader empty.
    if (cardIn()) await takeOut();
    // axe-core is injected into the page, which the page's own policy would refuse.
    const context = await shapedContext(browser, shape);
    const page = await context.newPage();
    audio.length = 0;
    page.on('response', (r) => {
      if (r.url().includes('/audio/') && r.status() < 300) audio.push(new URL(r.url()).pathname);
    });
    await page.goto(base);
    await page.locator('[data-screen="idle"]').waitFor();
    return page;
  }

  async function enterPin(page: Page, digits: string): Promise<void> {
    await page.locator('[data-screen="pin"] .pin-dots[data-entered="0"]').waitFor();
    await typeOnKeypad(page, digits);
    await page.locator('[data-screen="pin"] button[data-key="enter"]').click();
  }

  /** Every button on screen is at least 64 px each way: touch targets for unsteady hands. */
  async function assertTouchTargets(page: Page, screen: string): Promise<void> {
    const small = await page.evaluate<string[]>(`[...document.querySelectorAll('button')]
      .filter((b) => b.offsetParent !== null)
      .map((b) => [b.textContent.trim(), b.getBoundingClientRect()])
      .filter(([, r]) => r.height < 64 || r.width < 64)
      .map(([t, r]) => t + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))`);
    assert.deepEqual(small, [], `buttons under 64 px on ${screen}`);
  }

  /** In portrait, a screen's actions are in the lower half, within reach. */
  async function assertActionsLow(page: Page, selector: string, height: number): Promise<void> {
    const box = await page.locator(selector).first().boundingBox();
    assert.ok(box, `${selector} on screen`);
    assert.ok(box.y > height / 2, `${selector} starts at ${Math.round(box.y)} px of ${height}`);
  }

  for (const shape of SCREEN_SHAPES) {
    it(`${shape.name}: the name on screen, a wrong PIN in words, then the pension, the medical account and the statement`, async () => {
      const page = await open(shape);
      try {
        await page.locator('html[data-display="elderly"]').waitFor({ state: 'attached' });
        await assertAccessible(page, `idle ${shape.name}`);
        await keepScreenshot(page, `kiosk-idle-${shape.name}`);

        await insert('pensioner');
        const result = page.locator('[data-screen="result"]');
        await result.locator('[data-registry="valid"]').waitFor();
        // A kiosk shows the masked name the agent sent: the first character, then stars.
        assert.match((await result.locator('dd').first().textContent()) ?? '', /^王\*+$/);
        await assertAccessible(page, `result ${shape.name}`);
        await assertTouchTargets(page, `result ${shape.name}`);
        await keepScreenshot(page, `kiosk-result-${shape.name}`);
        if (shape.name === 'portrait')
          await assertActionsLow(page, '[data-screen="result"] .actions', shape.height);

        await result.locator('button', { hasText: '办理业务' }).click();
        await enterPin(page, '000000');
        const outcome = page.locator('[data-screen="pin-outcome"]');
        await outcome.waitFor();
        assert.match((await outcome.locator('h1').textContent()) ?? '', /密码错误.*2/);
        await keepScreenshot(page, `kiosk-wrong-pin-${shape.name}`);
        await outcome.locator('button', { hasText: '再试一次' }).click();
        await page.locator('[data-screen="pin"]').waitFor();
        await assertAccessible(page, `pin ${shape.name}`);
        if (shape.name === 'portrait')
          await assertActionsLow(page, '[data-screen="pin"] .keypad', shape.height);
        await keepScreenshot(page, `kiosk-pin-${shape.name}`);
        await enterPin(page, PIN);

        const menu = page.locator('[data-screen="menu"]');
        await menu.waitFor();
        await assertAccessible(page, `menu ${shape.name}`);
        await assertTouchTargets(page, `menu ${shape.name}`);
        if (shape.name === 'portrait')
          await assertActionsLow(page, '[data-screen="menu"] .menu', shape.height);
        await keepScreenshot(page, `kiosk-menu-${shape.name}`);

        // Keyboard only: the menu's heading has the focus, Tab reaches its first service, Enter opens it.
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate<string>('document.activeElement.textContent'), '养老金发放记录');
        await page.keyboard.press('Enter');
        const pension = page.locator('[data-screen="pension"]');
        await pension.waitFor();
        const yuan = `${(MONTHLY / 100).toFixed(2).replace(/\B(?=(\d{3})+\.)/g, ',')} 元`;
        const facts = await pension.locator('dd').allTextContents();
        assert.equal(facts[0], yuan, 'the monthly amount');
        assert.equal(facts[1], yuan, "this year's total: one month paid");
        assert.equal(await pension.locator('[data-table="payments"] tbody tr').count(), 1);
        await assertAccessible(page, `pension ${shape.name}`);
        await keepScreenshot(page, `kiosk-pension-${shape.name}`);
        await pension.locator('button', { hasText: '返回' }).click();

        await menu.locator('button', { hasText: '医保个人账户' }).click();
        const medical = page.locator('[data-screen="medical"]');
        await medical.waitFor();
        const balance = ACCOUNT - accountPaid;
        assert.equal(
          await medical.locator('dd').first().textContent(),
          `${Math.floor(balance / 100).toLocaleString('en-US')}.${String(balance % 100).padStart(2, '0')} 元`,
        );
        // ECharts drew the twelve months as SVG bars; this month's holds the two settlements.
        await medical.locator('.month-chart[data-months="12"] svg').waitFor();
        assert.equal(await medical.locator('[data-table="settlements"] tbody tr').count(), 2);
        assert.match((await medical.locator('figure').textContent()) ?? '', /共结算 2 次/);
        await assertAccessible(page, `medical ${shape.name}`);
        await keepScreenshot(page, `kiosk-medical-${shape.name}`);
        await medical.locator('button', { hasText: '返回' }).click();

        await menu.locator('button', { hasText: '对账单' }).click();
        const statement = page.locator('[data-screen="statement"]');
        await statement.waitFor();
        await statement.locator('.month-chart svg').waitFor();
        await assertAccessible(page, `statement ${shape.name}`);
        await keepScreenshot(page, `kiosk-statement-${shape.name}`);
        if (shape.name === 'landscape') {
          await page.emulateMedia({ media: 'print' });
          assert.equal(await page.locator('.topbar').isVisible(), false, 'the bar is not printed');
          assert.equal(await statement.locator('.actions').isVisible(), false, 'the buttons are not printed');
          // The chart scales with the paper: its drawing has a viewBox and follows its box's width.
          assert.match(
            (await statement.locator('.month-chart svg').getAttribute('viewBox')) ?? '',
            /^0 0 \d+ \d+$/,
          );
          await keepPdf(page, 'kiosk-statement', 'A4');
          await page.emulateMedia({ media: 'screen' });
        }

        // The spoken prompts of the steps passed so far came from the kiosk's own files.
        assert.ok(audio.includes('/audio/insert-card-zh.ogg'), JSON.stringify(audio));
        assert.ok(audio.includes('/audio/enter-pin-zh.ogg'), JSON.stringify(audio));

        await takeOut();
        await page.locator('[data-screen="idle"]').waitFor();
        assert.ok(!(await page.content()).includes(yuan), 'the pension stayed in the page');
      } finally {
        await page.context().close();
      }
    });
  }

  it('certifies the pension with card and PIN and shows the next due date, in English on request', async () => {
    const page = await open();
    try {
      await insert('pensioner');
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await enterPin(page, PIN);
      await page.locator('[data-screen="menu"] button', { hasText: '养老金资格认证' }).click();
      const confirm = page.locator('[data-screen="certify-confirm"]');
      await confirm.waitFor();
      await assertAccessible(page, 'certify-confirm');
      await confirm.locator('button', { hasText: '开始认证' }).click();
      await enterPin(page, PIN);
      const done = page.locator('[data-screen="certify-result"][data-status="certified"]');
      await done.locator('h1', { hasText: '认证成功' }).waitFor();
      const listed = await registry.operator<{ certifications: { method: string; validUntil: string }[] }>(
        'GET',
        `/v1/pensions/entitlements/${holders.pensioner.personNo}/certifications`,
      );
      const last = listed.body.certifications.at(-1)!;
      assert.equal(last.method, 'kiosk');
      const [y, m, d] = last.validUntil.split('-').map(Number) as [number, number, number];
      assert.match((await done.textContent()) ?? '', new RegExp(`下次请在 ${y}年${m}月${d}日 前认证`));
      await assertAccessible(page, 'certify-result');
      await keepScreenshot(page, 'kiosk-certified');
      await page.locator('#lang-toggle').click();
      await done.locator('h1', { hasText: 'Check complete' }).waitFor();
      assert.match((await done.textContent()) ?? '', new RegExp(`by ${last.validUntil}`));
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await keepScreenshot(page, 'kiosk-certified-en');
      await takeOut();
      await page.locator('[data-screen="idle"] h1', { hasText: '请插入社会保障卡' }).waitFor();
    } finally {
      await page.context().close();
    }
  });

  it('takes a temporary loss report, and the card is refused afterwards', async () => {
    const page = await open();
    try {
      await insert('loser');
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await enterPin(page, PIN);
      await page.locator('[data-screen="menu"] button', { hasText: '社保卡挂失' }).click();
      await page.locator('[data-screen="lost-confirm"] button', { hasText: '确认挂失' }).click();
      await page.locator('[data-screen="lost-result"][data-status="reported"]').waitFor();
      await keepScreenshot(page, 'kiosk-lost-reported');
      await takeOut();
      await page.locator('[data-screen="idle"]').waitFor();
      await insert('loser');
      const refused = page.locator('[data-screen="result"] [data-registry="invalid"]');
      await refused.waitFor();
      assert.equal(await refused.getAttribute('data-reason'), 'CARD_TEMPORARILY_LOST');
      assert.match((await refused.textContent()) ?? '', /这张卡已临时挂失.*请到 3 号人工窗口办理/);
      await assertAccessible(page, 'lost card refused');
      await keepScreenshot(page, 'kiosk-lost-refused');
      await takeOut();
    } finally {
      await page.context().close();
    }
  });

  it('forgets everything at once when the card is pulled during the PIN entry', async () => {
    const page = await open(SCREEN_SHAPES[1]);
    try {
      await insert('pensioner');
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await page.locator('[data-screen="pin"] .pin-dots[data-entered="0"]').waitFor();
      await typeOnKeypad(page, '73');
      await controlCall('/slots/card/remove');
      await page.locator('[data-screen="idle"]').waitFor();
      assert.ok(!(await page.content()).includes('王'), 'the name stayed in the page');
      await waitFor('the card out', () => !cardIn());
    } finally {
      await page.context().close();
    }
  });

  it('says in words that a card is the wrong way round, and that a blocked PIN needs counter 3', async () => {
    const page = await open();
    try {
      // A fault stays with the card: set while it is in, it answers no reset when inserted again.
      await insert('forgetful');
      await page.locator('[data-screen="result"]').waitFor();
      await controlCall('/slots/card/fault', { kind: 'mute' });
      await takeOut();
      await page.locator('[data-screen="idle"]').waitFor();
      await controlCall('/slots/card/insert', { card: await cardId('forgetful') });
      const failed = page.locator('[data-screen="read-failed"]');
      await failed.locator('p', { hasText: '卡片可能插反了' }).waitFor({ timeout: 30_000 });
      await assertAccessible(page, 'card upside down');
      await keepScreenshot(page, 'kiosk-card-upside-down');
      await controlCall('/slots/card/fault', { kind: 'none' });
      await controlCall('/slots/card/remove');
      await page.locator('[data-screen="idle"]').waitFor();
      await waitFor('the card out', () => !cardIn());

      // Another card altogether: the emulator's PSAM, which has no social security application.
      const res = await fetch(`${controlUrl}/cards`);
      const { cards } = (await res.json()) as { cards: { id: string; kind: string }[] };
      await controlCall('/slots/card/insert', { card: cards.find((c) => c.kind === 'psam')!.id });
      await page.locator('[data-screen="read-failed"] p', { hasText: '这不是社会保障卡' }).waitFor();
      await keepScreenshot(page, 'kiosk-not-social-security-card');
      await takeOut();
      await page.locator('[data-screen="idle"]').waitFor();

      await insert('forgetful');
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      for (const tries of [2, 1]) {
        await enterPin(page, '111111');
        const outcome = page.locator('[data-screen="pin-outcome"]');
        await outcome.waitFor();
        assert.match((await outcome.textContent()) ?? '', new RegExp(String(tries)));
        await outcome.locator('button', { hasText: '再试一次' }).click();
      }
      await enterPin(page, '111111');
      const blocked = page.locator('[data-screen="pin-outcome"] [data-next="counter"]');
      await blocked.waitFor();
      assert.match((await blocked.textContent()) ?? '', /请到 3 号人工窗口办理/);
      assert.equal(
        await page.locator('[data-screen="pin-outcome"] button', { hasText: '再试一次' }).count(),
        0,
      );
      await assertAccessible(page, 'pin blocked');
      await keepScreenshot(page, 'kiosk-pin-blocked');
      await takeOut();
    } finally {
      await page.context().close();
    }
  });

  it('switches to the standard display and mutes the prompts for one visit', async () => {
    const page = await open();
    try {
      const size = () =>
        page.evaluate<number>(`parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)`);
      const elderly = await size();
      await page.locator('#display-toggle').click();
      await page.locator('html[data-display="standard"]').waitFor({ state: 'attached' });
      assert.ok((await size()) < elderly, 'the standard display has smaller type');
      await assertTouchTargets(page, 'idle, standard display');
      await page.locator('#mute-toggle').click();
      await page.locator('#mute-toggle[aria-pressed="true"]').waitFor();
      await insert('pensioner');
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await page.locator('[data-screen="pin"]').waitFor();
      assert.notEqual(
        await page.locator('html').getAttribute('data-prompt'),
        'enter-pin',
        'a muted kiosk spoke',
      );
      await page.locator('[data-screen="pin"] button[data-key="cancel"]').click();
      await takeOut();
      await page.locator('[data-screen="idle"]').waitFor();
      // The next citizen gets the elderly display and the voice back.
      await page.locator('html[data-display="elderly"]').waitFor({ state: 'attached' });
      await page.locator('#mute-toggle[aria-pressed="false"]').waitFor();
    } finally {
      await page.context().close();
    }
  });
});
