/**
 * The bureau counter's screens in Debian's Chromium against the whole stack: card-service with its
 * HSM process, the agent enrolled as a bureau terminal serving the UI, a private pcscd with vpcd
 * and a generation 3 card the registry issued. The clerk signs in with their operator token,
 * checks the cardholder's identity document and types its number; the counter unblocks the locked
 * PIN (or resets a forgotten one) through card-service's HSM, and says so in words.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCard, parseCardDocument } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import type { VirtualCard } from '@sscard/card-emulator/virtual-card';
import { launchChromium, type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import type { Browser, Page } from 'playwright-core';
import { assertAccessible, keepScreenshot, SCREEN_SHAPES, shapedContext } from './browser-artifacts.js';
import { type BureauCounter, blockPin, clerkToken, startBureauCounter, verify } from './bureau-counter.js';
import { UI_DIR } from './kiosk-fixture.js';
import {
  citizenId,
  type RegistryUnderTest,
  type SeededCard,
  seedActiveCard,
  startRegistry,
} from './registry-fixture.js';

const TERMINAL = 'C-330300-0101';
const OWN_PIN = '731946';

describe('the bureau counter screens in Chromium against the agent, card-service and pcscd', () => {
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let counter: BureauCounter;
  let browser: Browser;
  let holder: SeededCard;
  let card: VirtualCard;
  let clerk: string;

  before(async () => {
    registry = await startRegistry();
    holder = await seedActiveCard(registry, {
      idNumber: citizenId('19630918', '326'),
      name: '周秀英',
      generation: 3,
    });
    card = createCard(
      parseCardDocument({ ...(holder.document as object), pin: { value: OWN_PIN, triesLeft: 3 } }),
      registry.keyset,
    );
    clerk = await clerkToken(registry, '窗口 3 陈静', ['pin:authorise']);
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir('sscard-bureau-ui-');
    counter = await startBureauCounter({
      registry,
      terminalId: TERMINAL,
      dataDir,
      pcscd,
      config: { api: { port: 0, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') } },
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await counter?.stop();
    await pcscd?.stop();
    await registry?.close();
  });

  const screen = (page: Page, name: string) => page.locator(`[data-screen="${name}"]`);
  const userReader = () => counter.agent.readers.list().find((r) => r.role === 'user');

  async function insert(): Promise<void> {
    counter.slot.insert(new CardWithFaults(card));
    await waitFor('the card', () => userReader()?.card);
  }

  async function remove(): Promise<void> {
    counter.slot.remove();
    await waitFor('the card to be out', () => !userReader()?.card);
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await screen(page, 'sign-in').waitFor();
    await page.locator('input[name="clerkToken"]').fill(token);
    await page.keyboard.press('Enter');
  }

  for (const shape of SCREEN_SHAPES) {
    const unblock = shape.name === 'landscape';
    it(`${unblock ? 'unblocks a locked PIN' : 'resets a forgotten PIN'} at a ${shape.name} counter on the clerk’s authorisation`, async () => {
      if (unblock) blockPin(card);
      const context = await shapedContext(browser, shape);
      const page = await context.newPage();
      try {
        await page.goto(counter.base);
        await screen(page, 'sign-in').waitFor();
        assert.equal(await page.locator('html').getAttribute('data-mode'), 'bureau');
        await assertAccessible(page, 'the sign-in');
        await keepScreenshot(page, `bureau-${shape.name}-sign-in`);
        if (unblock) {
          // A token without the scope signs no one in.
          await signIn(page, await clerkToken(registry, 'records office', ['registry:read']));
          await page.locator('[data-screen="sign-in"] .refusal').waitFor();
          assert.match((await page.locator('.refusal').textContent()) ?? '', /无权办理密码解锁和重置/);
        }
        await signIn(page, clerk);
        await screen(page, 'card').waitFor();
        assert.match((await page.locator('.clerk-line').textContent()) ?? '', /经办人：窗口 3 陈静/);

        await insert();
        if (!unblock) await page.keyboard.press('F2');
        await page
          .locator(`[data-screen="identity"][data-operation="${unblock ? 'unblock' : 'reload'}"]`)
          .waitFor();
        assert.equal(await page.locator('.holder [data-field="name"]').textContent(), '周秀英');
        await assertAccessible(page, 'the identity check');
        await keepScreenshot(page, `bureau-${shape.name}-identity`);

        if (unblock) {
          // The number on another person's identity card: refused, and the PIN stays locked.
          await page.locator('input[name="holderIdNumber"]').fill(citizenId('19700101', '011'));
          await page.keyboard.press('Enter');
          await screen(page, 'problem').waitFor({ timeout: 60_000 });
          assert.equal(await screen(page, 'problem').getAttribute('data-code'), 'HOLDER_MISMATCH');
          assert.match((await page.locator('.refusal').textContent()) ?? '', /身份证号码与持卡人不符/);
          await assertAccessible(page, 'a refusal');
          await page.keyboard.press('Enter');
          await screen(page, 'identity').waitFor();
        } else {
          // The clerk reads the outcome in English.
          await page.locator('#lang-toggle').click();
          assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        }

        await page.locator('input[name="holderIdNumber"]').fill(holder.idNumber.toLowerCase());
        await page.keyboard.press('Enter');
        await screen(page, 'done').waitFor({ timeout: 60_000 });
        const title = (await page.locator('#done-title').textContent()) ?? '';
        if (unblock) assert.equal(title, '密码已解锁');
        else assert.equal(title, 'PIN reset to the initial PIN 123456');
        assert.match((await page.locator('#slip').textContent()) ?? '', /窗口 3 陈静/);
        await assertAccessible(page, 'the outcome');
        await keepScreenshot(page, `bureau-${shape.name}-done`);
        await remove();
        if (unblock) assert.equal(verify(card, OWN_PIN), 0x9000);
        else assert.equal(verify(card, '123456'), 0x9000);

        // Signing out ends the clerk's session on this page: the next customer needs a sign-in.
        await page.keyboard.press('Enter');
        await page.locator('.clerk-line button').click();
        await screen(page, 'sign-in').waitFor();
      } finally {
        await context.close();
      }
    });
  }

  it('signs out a clerk who leaves the counter signed in', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', bypassCSP: true });
    const page = await context.newPage();
    try {
      await page.goto(`${counter.base}/?clerk-idle=2`);
      await signIn(page, clerk);
      await page.locator('.clerk-line').waitFor();
      // Nobody touches the screen: the next person there finds it signed out.
      await page.locator('[data-screen="sign-in"] .refusal').waitFor({ timeout: 15_000 });
      assert.match((await page.locator('.refusal').textContent()) ?? '', /已自动退出登录/);
      assert.equal(await page.locator('.clerk-line').count(), 0);
    } finally {
      await context.close();
    }
  });
});
