import assert from 'node:assert/strict';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { citizenIdCheckChar, maskCardNumber, maskName } from '@sscard/card-core';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { generateKeyset } from '@sscard/card-emulator/cards/keyset';
import { personalise } from '@sscard/card-emulator/cards/personalise';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { tempDir, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { startAgent } from '@sscard/terminal-agent/daemon';
import type { Page } from 'playwright-core';
import { type KioskUnderTest, quietLog, startKiosk, typeOnKeypad, UI_DIR } from './kiosk-fixture.js';

/**
 * The kiosk UI in Debian's Chromium, served by the whole agent (kiosk terminal, on-screen keypad)
 * over a private pcscd, with a virtual generation 2 card in vpcd's slot 0. Every screen the test
 * sees is driven by the agent's real events and the card's real answers.
 */

const PIN = '739215';
const NEW_PIN = '482613';

// An elderly holder: born 1947, sequence 262 (even: female), check character computed.
const ssnBody = '33030219470521262';
const [doc] = personalise(
  [{ ssn: ssnBody + citizenIdCheckChar(ssnBody), name: '王秀英', generation: 2, pin: PIN, serial: 7 }],
  { issueDate: '20240315', validityYears: 10 },
);
const holder = doc!.holder;
const cardNumber = doc!.card.cardNumber;

describe('kiosk UI in Chromium against the agent', () => {
  let kiosk: KioskUnderTest;
  let port: number;
  let shots: string;
  const keyset = generateKeyset();

  function agentConfig(dataDir: string, apiPort: number) {
    return AgentConfigSchema.parse({
      terminal: {
        id: 'T-330300-0042',
        type: 'kiosk',
        region: '330300',
        number: '330300000042',
        deviceNumber: 'K42',
      },
      api: { port: apiPort, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') },
      // Kiosk PIN entries wait two minutes: elderly citizens must not be timed out in under a minute.
      pin: { entry: 'keypad', timeoutMs: 120_000 },
      dataDir,
    });
  }

  before(async () => {
    kiosk = await startKiosk({
      dataDirPrefix: 'sscard-kiosk-',
      config: (dataDir) => agentConfig(dataDir, 0),
    });
    port = kiosk.agent.address.port;
    // With SSCARD_KIOSK_SHOTS set the screenshots are kept for a person to look at (their paths are
    // printed); otherwise they go with the test's other temporary files.
    shots = process.env.SSCARD_KIOSK_SHOTS
      ? await mkdtemp(join(tmpdir(), 'sscard-kiosk-shots-'))
      : await tempDir('sscard-kiosk-shots-');
  });

  after(async () => {
    await kiosk?.close();
  });

  beforeEach(async () => {
    if (kiosk.slot.remove()) await waitFor('the card to be out', () => !kiosk.userReader()?.card);
  });

  const insertCard = () => kiosk.insertCard(new CardWithFaults(new SsseGen2Card(doc!, keyset)));

  async function closeKiosk(page: Page): Promise<void> {
    await page.context().close();
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    const file = join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    assert.ok((await stat(file)).size > 10_000, `${file} looks empty`);
    if (process.env.SSCARD_KIOSK_SHOTS) console.log(`kiosk screenshot: ${file}`);
  }

  async function enterPin(page: Page, digits: string, step: 'current' | 'new' | 'confirm' = 'current') {
    await page.locator(`[data-screen="pin"][data-step="${step}"] .pin-dots[data-entered="0"]`).waitFor();
    await typeOnKeypad(page, digits);
    await page.locator('[data-screen="pin"] button[data-key="enter"]').click();
  }

  it('shows the insert-card screen in Chinese, in the font the kiosk bundles', async () => {
    const fontFiles: string[] = [];
    const context = await kiosk.browser.newContext({ viewport: { width: 1280, height: 1024 } });
    const page = await context.newPage();
    page.on('response', (res) => {
      if (/\/fonts\/.+\.woff2$/.test(res.url()) && res.status() === 200) fontFiles.push(res.url());
    });
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      const title = page.locator('[data-screen="idle"] h1');
      await title.waitFor();
      assert.equal(await title.textContent(), '请插入社会保障卡');
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
      assert.match(
        await page.evaluate<string>(`getComputedStyle(document.querySelector('h1')).fontFamily`),
        /^"?Noto Sans SC"?/,
      );
      // The test compiles for Node, so the browser-side code is given as text.
      const loaded = await page.evaluate<string[]>(`document.fonts.ready.then(() =>
        [...document.fonts]
          .filter((f) => f.family.replaceAll('"', '') === 'Noto Sans SC' && f.status === 'loaded')
          .map((f) => f.weight))`);
      assert.ok(loaded.length > 0, 'no Noto Sans SC face loaded');
      assert.ok(fontFiles.length > 0, 'no woff2 font file was fetched from the agent');
      await page.locator('.reader-state', { hasText: '读卡器已就绪' }).waitFor();
      assert.equal(await page.locator('#status').textContent(), '读卡器已就绪');
      await screenshot(page, 'idle');
    } finally {
      await context.close();
    }
  });

  it('shows the holder name the agent sent, the card and its verification once a card is inserted', async () => {
    const page = await kiosk.openKiosk();
    try {
      await insertCard();
      const result = page.locator('[data-screen="result"]');
      await result.waitFor();
      // A kiosk agent masks personal data: the screen shows exactly the masked name, never the full one.
      const values = await result.locator('dd').allTextContents();
      assert.equal(values[0], maskName(holder.name));
      assert.equal(values[1], maskCardNumber(cardNumber));
      assert.equal(values[2], '第二代社会保障卡');
      assert.equal(values[3], '2024年3月15日 至 2034年3月15日');
      assert.equal(await result.locator('[data-verdict]').getAttribute('data-verdict'), 'genuine');
      const html = await page.content();
      assert.ok(!html.includes(holder.name), 'the full name reached the page');
      assert.ok(!html.includes(holder.ssn), 'the full ID number reached the page');
      await screenshot(page, 'result');
    } finally {
      await closeKiosk(page);
    }
  });

  it('asks whether the citizen needs more time, resumes on the answer and clears the screen without one', async () => {
    // Two seconds each instead of two minutes and one (the page's own setting), on the real clock:
    // a faked page clock would also run socket.io's heartbeat timers and drop the agent's connection.
    const page = await kiosk.openKiosk(undefined, 'ask-after=2&answer-within=2');
    try {
      await insertCard();
      await page.locator('[data-screen="result"]').waitFor();
      const moreTime = page.locator('[data-screen="more-time"]');
      await moreTime.waitFor({ timeout: 10_000 });
      assert.match((await moreTime.textContent()) ?? '', /您还需要更多时间吗/);
      // The question hides the citizen's data until answered.
      assert.ok(!(await page.content()).includes(maskCardNumber(cardNumber)));
      await moreTime.getByRole('button', { name: '我需要更多时间' }).click();
      const result = page.locator('[data-screen="result"]');
      await result.waitFor();
      assert.equal((await result.locator('dd').allTextContents())[1], maskCardNumber(cardNumber));

      // Asked again after the next quiet spell; a touch elsewhere is not an answer.
      await moreTime.waitFor({ timeout: 10_000 });
      await page.mouse.click(5, 5);
      await page.locator('[data-screen="take-card"]').waitFor({ timeout: 10_000 });
      const html = await page.content();
      assert.ok(!html.includes(maskCardNumber(cardNumber)), 'the card number stayed in the page');
      assert.ok(!html.includes(maskName(holder.name)), 'the name stayed in the page');
      assert.ok(
        kiosk.userReader()?.card,
        'the card is still in the reader: the kiosk asks for it to be taken',
      );
    } finally {
      await closeKiosk(page);
    }
  });

  it('takes the PIN key by key on the on-screen keypad and never holds the digits in the page', async () => {
    const sent: string[] = [];
    const page = await kiosk.openKiosk((p) =>
      p.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload)))),
    );
    try {
      await insertCard();
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();

      // A wrong PIN typed on the keyboard: the card counts it, the agent says how many tries remain.
      await page.locator('[data-screen="pin"] .pin-dots[data-entered="0"]').waitFor();
      for (const [i, digit] of [...'000000'].entries()) {
        await page.keyboard.press(digit);
        await page.locator(`.pin-dots[data-entered="${i + 1}"]`).waitFor();
      }
      await page.keyboard.press('Enter');
      const outcome = page.locator('[data-screen="pin-outcome"]');
      await outcome.waitFor();
      assert.equal(await outcome.getAttribute('data-code'), '-51');
      assert.match((await outcome.locator('h1').textContent()) ?? '', /密码错误.*2/);

      await outcome.locator('button', { hasText: '再试一次' }).click();
      await page.locator('[data-screen="pin"] .pin-dots[data-entered="0"]').waitFor();
      await typeOnKeypad(page, PIN.slice(0, 3));
      const html = await page.content();
      assert.equal(await page.locator('input, textarea').count(), 0);
      assert.ok(!html.includes(PIN.slice(0, 3)), 'typed digits appear in the page');
      assert.equal(await page.locator('.pin-dots .dot.filled').count(), 3);
      await screenshot(page, 'keypad');
      await typeOnKeypad(page, PIN.slice(3), 3);
      await page.locator('[data-screen="pin"] button[data-key="enter"]').click();
      await page.locator('[data-screen="menu"]').waitFor();

      // Each key went to the agent on its own; the PIN never travelled as one value.
      const keys = sent.filter((f) => f.includes('"pin-key"'));
      assert.equal(keys.length, 6 + 1 + 6 + 1);
      assert.ok(!sent.some((f) => f.includes(PIN)), 'the whole PIN was sent in one message');
      const storage = await page.evaluate<string>('JSON.stringify({ ...sessionStorage, ...localStorage })');
      assert.ok(!storage.includes(PIN));
    } finally {
      await closeKiosk(page);
    }
  });

  it('says plainly when the two new PINs differ', async () => {
    const page = await kiosk.openKiosk();
    try {
      await insertCard();
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await enterPin(page, PIN);
      await page.locator('[data-screen="menu"] button', { hasText: '修改密码' }).click();
      await enterPin(page, PIN, 'current');
      await enterPin(page, NEW_PIN, 'new');
      await enterPin(page, '111111', 'confirm');
      const outcome = page.locator('[data-screen="pin-outcome"]');
      await outcome.waitFor();
      assert.equal(await outcome.getAttribute('data-code'), '-34');
      assert.match((await outcome.textContent()) ?? '', /两次输入的新密码不一样/);
      await page.locator('#lang-toggle').click();
      await outcome.locator('h1', { hasText: 'the two PIN entries differ' }).waitFor();
      await screenshot(page, 'pin-entries-differ-en');
      await page.locator('#lang-toggle').click();
      await outcome.locator('button', { hasText: '返回' }).click();
      await page.locator('[data-screen="menu"]').waitFor();
    } finally {
      await closeKiosk(page);
    }
  });

  it('clears every personal detail from the page when the card is removed', async () => {
    const page = await kiosk.openKiosk();
    try {
      await insertCard();
      await page.locator('[data-screen="result"]').waitFor();
      await page.locator('#lang-toggle').click();
      await page.locator('[data-screen="result"] h1', { hasText: 'Your social security card' }).waitFor();
      kiosk.slot.remove();
      await page.locator('[data-screen="idle"] h1', { hasText: '请插入社会保障卡' }).waitFor();
      const html = await page.content();
      for (const value of [maskName(holder.name), maskCardNumber(cardNumber), holder.name.slice(0, 1)]) {
        assert.ok(!html.includes(value), `${value} is still in the page`);
      }
      // The next citizen starts in Chinese.
      assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    } finally {
      await closeKiosk(page);
    }
  });

  it('switches between Chinese and English and keeps the choice for the browser session only', async () => {
    const page = await kiosk.openKiosk();
    try {
      const toggle = page.locator('#lang-toggle');
      assert.equal(await toggle.textContent(), 'English');
      await toggle.click();
      await page
        .locator('[data-screen="idle"] h1', { hasText: 'Please insert your social security card' })
        .waitFor();
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal(await toggle.textContent(), '中文');
      assert.equal(await page.locator('#status').textContent(), 'Card reader ready');
      // Keyboard users reach the toggle and press it like any button.
      await toggle.focus();
      await page.keyboard.press('Enter');
      await page.locator('[data-screen="idle"] h1', { hasText: '请插入社会保障卡' }).waitFor();
      await toggle.click();
      await page.reload();
      await page
        .locator('[data-screen="idle"] h1', { hasText: 'Please insert your social security card' })
        .waitFor();
    } finally {
      await closeKiosk(page);
    }
    const fresh = await kiosk.openKiosk();
    try {
      assert.equal(await fresh.locator('[data-screen="idle"] h1').textContent(), '请插入社会保障卡');
    } finally {
      await closeKiosk(fresh);
    }
  });

  it('says when the agent is unreachable and reconnects by itself when it is back', async () => {
    const page = await kiosk.openKiosk();
    try {
      await kiosk.agent.stop();
      await page.locator('[data-screen="offline"] h1', { hasText: '暂时无法连接终端服务' }).waitFor();
      await screenshot(page, 'offline');
      kiosk.agent = await startAgent(agentConfig(kiosk.dataDir, port), quietLog);
      await page.locator('[data-screen="idle"]').waitFor({ timeout: 20_000 });
      await page.locator('#status', { hasText: '读卡器已就绪' }).waitFor({ timeout: 20_000 });
    } finally {
      await closeKiosk(page);
    }
  });
});
