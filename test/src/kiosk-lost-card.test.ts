import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { citizenIdCheckChar } from '@sscard/card-core';
import { personalise } from '@sscard/card-emulator/cards/personalise';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { Registry, loadConfig, seedFromCardDocuments } from '@sscard/card-service';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import type { Page } from 'playwright-core';
import { type KioskUnderTest, startKiosk, typeOnKeypad, UI_DIR } from './kiosk-fixture.js';
import { type RegistryUnderTest, startRegistry } from './registry-fixture.js';

/**
 * The kiosk's lost-card service in Chromium: the registry's verdict on the result screen, and the
 * report (confirm → PIN → report → result) against a kiosk agent enrolled with a real card-service.
 */

const PIN = '582047';
const ssnBody = '33030219560714283';
const otherSsnBody = '33030219610322154';
const [doc, otherDoc] = personalise(
  [
    { ssn: ssnBody + citizenIdCheckChar(ssnBody), name: '陈桂兰', generation: 2, pin: PIN, serial: 11 },
    {
      ssn: otherSsnBody + citizenIdCheckChar(otherSsnBody),
      name: '林志强',
      generation: 2,
      pin: PIN,
      serial: 12,
    },
  ],
  { issueDate: '20240315', validityYears: 10 },
);

describe('kiosk lost-card report in Chromium against the agent and card-service', () => {
  const TERMINAL = 'K-330300-0031';
  let registry: RegistryUnderTest;
  let kiosk: KioskUnderTest;

  before(async () => {
    registry = await startRegistry();
    await seedFromCardDocuments(
      new Registry(registry.service.store, () => new Date(), loadConfig({ env: {} }).lifecycle),
      [doc, otherDoc] as unknown as Parameters<typeof seedFromCardDocuments>[1],
    );
    kiosk = await startKiosk({
      dataDirPrefix: 'sscard-kiosk-lost-',
      config: async (dataDir) =>
        AgentConfigSchema.parse({
          terminal: { id: TERMINAL, type: 'kiosk', region: '330300' },
          api: { port: 0, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') },
          pin: { entry: 'keypad' },
          cardService: await registry.agentCardService(TERMINAL, 'kiosk', '330300'),
          dataDir,
        }),
    });
  });

  after(async () => {
    await kiosk?.close();
    await registry?.close();
  });

  const insertCard = (card = doc!) =>
    kiosk.insertCard(new CardWithFaults(new SsseGen2Card(card, registry.keyset)));

  async function enterPin(page: Page): Promise<void> {
    await page.locator('[data-screen="pin"][data-device="keypad"] .pin-dots[data-entered="0"]').waitFor();
    await typeOnKeypad(page, PIN);
    await page.locator('[data-screen="pin"][data-device="keypad"] button[data-key="enter"]').click();
  }

  it('shows the registry verdict, takes the report after the PIN, and shows the card lost on the next read', async () => {
    const page = await kiosk.openKiosk();
    try {
      await insertCard();
      const result = page.locator('[data-screen="result"]');
      await result.locator('[data-registry="valid"]', { hasText: '卡片状态正常' }).waitFor();

      await result.locator('button', { hasText: '办理业务' }).click();
      await enterPin(page);
      await page.locator('[data-screen="menu"] button', { hasText: '社保卡挂失' }).click();
      const confirm = page.locator('[data-screen="lost-confirm"]');
      await confirm.locator('h1', { hasText: '确认挂失这张社保卡吗' }).waitFor();
      await confirm.locator('button', { hasText: '确认挂失' }).click();

      const done = page.locator('[data-screen="lost-result"][data-status="reported"]');
      await done.locator('h1', { hasText: '挂失成功' }).waitFor();
      assert.match((await done.textContent()) ?? '', new RegExp(`${TERMINAL}:\\d+`));
      const card = await registry.operator<{ status: string }>('GET', `/v1/cards/${doc!.card.cardNumber}`);
      assert.equal(card.body.status, 'temporarily_lost');

      await page.locator('#lang-toggle').click();
      await done.locator('h1', { hasText: 'reported lost' }).waitFor();
      await page.locator('#lang-toggle').click();

      kiosk.slot.remove();
      await page.locator('[data-screen="idle"]').waitFor();
      await insertCard();
      const lost = page.locator('[data-screen="result"] [data-registry="invalid"]');
      await lost.waitFor();
      assert.equal(await lost.getAttribute('data-reason'), 'CARD_TEMPORARILY_LOST');
      assert.match((await lost.textContent()) ?? '', /这张卡已临时挂失/);
      // Once lost, the report is not offered again.
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await enterPin(page);
      await page.locator('[data-screen="menu"]').waitFor();
      assert.equal(await page.locator('[data-screen="menu"] button', { hasText: '社保卡挂失' }).count(), 0);
    } finally {
      await page.context().close();
    }
  });

  it('tells the citizen the card could not be confirmed when card-service gives no challenge, and sends nothing', async () => {
    kiosk.slot.remove();
    const page = await kiosk.openKiosk();
    try {
      await insertCard(otherDoc);
      await page.locator('[data-screen="result"] [data-registry="valid"]').waitFor();
      await page.locator('[data-screen="result"] button', { hasText: '办理业务' }).click();
      await enterPin(page);
      await page.locator('[data-screen="menu"] button', { hasText: '社保卡挂失' }).click();
      // The terminal loses its standing between the read and the report, and learns it at its
      // next call: the card cannot answer a challenge card-service no longer gives this terminal.
      await registry.revoke(TERMINAL);
      const check = await kiosk.agent.registry.checkCard({
        info: {
          cardIdCode: otherDoc!.card.cardIdCode,
          cardNumber: otherDoc!.card.cardNumber,
          ssn: otherDoc!.holder.ssn,
          name: otherDoc!.holder.name,
        },
      });
      assert.equal(check.reason, 'TERMINAL_REVOKED');
      await page.locator('[data-screen="lost-confirm"] button', { hasText: '确认挂失' }).click();
      const problem = page.locator('[data-screen="lost-problem"]');
      await problem.locator('p', { hasText: '未能确认读卡器中的这张卡' }).waitFor();
      assert.match((await problem.textContent()) ?? '', /CARD_PRESENCE_UNPROVEN/);
      const card = await registry.operator<{ status: string }>(
        'GET',
        `/v1/cards/${otherDoc!.card.cardNumber}`,
      );
      assert.equal(card.body.status, 'active');
    } finally {
      await page.context().close();
    }
  });
});
