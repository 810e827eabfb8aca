/**
 * The bank counter's screens in Debian's Chromium against the whole stack: card-service with its
 * HSM process, the agent enrolled as a bank terminal serving the UI, a private pcscd with vpcd and
 * a generation 3 card carrying the debit application, and the serial PIN pad holding the counter's
 * terminal PIN key on a socat pty pair. The teller types the amount; the cardholder the bank PIN
 * on the pad. One pension withdrawal per screen shape, and a wrong bank PIN at the first.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CardDocument, createCard, debitPanFor, publicKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { launchChromium, type Pcscd, startPcscd, tempDir } from '@sscard/test-harness';
import type { Browser, Page } from 'playwright-core';
import {
  BANK_PIN,
  type BankCounter,
  type BankPinPad,
  fundDebitAccount,
  startBankCounter,
  startBankPinPad,
} from './bank-counter.js';
import { assertAccessible, keepScreenshot, SCREEN_SHAPES, shapedContext } from './browser-artifacts.js';
import { UI_DIR } from './kiosk-fixture.js';
import { citizenId, type RegistryUnderTest, seedActiveCard, startRegistry } from './registry-fixture.js';

const TERMINAL = 'B-330300-0301';
const MONTHLY = 312_456;

describe('the bank counter screens in Chromium against the agent, card-service, pcscd and the PIN pad', () => {
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let pinPad: BankPinPad;
  let counter: BankCounter;
  let browser: Browser;
  let personNo: string;
  let cardPin: string;
  let base: string;

  before(async () => {
    registry = await startRegistry();
    const dataDir = await tempDir('sscard-bank-ui-');
    const seeded = await seedActiveCard(registry, {
      idNumber: citizenId('19550611', '043'),
      name: '刘桂兰',
      generation: 3,
    });
    personNo = seeded.personNo;
    cardPin = (seeded.document as { pin: { value: string } }).pin.value;
    const pan = debitPanFor('330300', 301);
    const issued = seeded.document as CardDocument;
    const doc = {
      ...issued,
      applications: { ...issued.applications, debit: { pan, psn: '01', expiryDate: '20361231' } },
    } as CardDocument;
    await fundDebitAccount(registry, seeded, pan, MONTHLY);
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const caKeysPath = join(dataDir, 'ca-keys.json');
    await writeFile(caKeysPath, JSON.stringify(publicKeyset(registry.keyset)));
    pinPad = await startBankPinPad(registry, TERMINAL);
    counter = await startBankCounter({
      registry,
      terminalId: TERMINAL,
      dataDir,
      pcscd,
      card: new CardWithFaults(createCard(doc, registry.keyset)),
      config: {
        api: { port: 0, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') },
        emv: { caKeysPath },
        ...pinPad.config,
      },
    });
    base = `http://127.0.0.1:${counter.agent.address.port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await counter?.stop();
    await pinPad?.close();
    await pcscd?.stop();
    await registry?.close();
  });

  const screen = (page: Page, name: string) => page.locator(`[data-screen="${name}"]`);
  /** What a printed page carries: no ID number, whole or masked (the holder line is not printed). */
  const ID_NUMBER = /\d{6}(\d{8}|\*{8})\d{3}[\dXx]/;
  const assertPrintedWithoutIdNumber = async (page: Page) => {
    const holder = page.locator('.holder [data-field="ssn"]');
    if ((await holder.count()) > 0) assert.match((await holder.textContent()) ?? '', ID_NUMBER, 'on screen');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('#slip').isVisible(), true);
    // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, without what print hides
    assert.doesNotMatch(await page.locator('body').innerText(), ID_NUMBER);
    await page.emulateMedia({ media: 'screen' });
  };
  const receipt = (page: Page, label: string) =>
    page.locator('#slip .slip-head div', { hasText: label }).locator('dd').textContent();
  const balance = async () =>
    Number(
      (
        await registry.service.store.get<{ balance: number | string }>(
          'SELECT balance FROM card_accounts WHERE person_no = ?',
          [personNo],
        )
      )?.balance,
    );

  /** The teller types the amount and presses Enter; the cardholder types `pin` on the pad. */
  async function withdraw(page: Page, yuan: string, pin: string): Promise<void> {
    await screen(page, 'amount').waitFor();
    await page.locator('input[name="amount"]').fill(yuan);
    pinPad.pad.enterPin(pin);
    await page.keyboard.press('Enter');
    await screen(page, 'withdrawal-result').waitFor({ timeout: 60_000 });
  }

  let expected = MONTHLY;
  for (const shape of SCREEN_SHAPES) {
    it(`pays out a pension withdrawal at a ${shape.name} counter, the bank PIN on the pad`, async () => {
      const context = await shapedContext(browser, shape);
      const page = await context.newPage();
      try {
        await page.goto(base);
        // The card is in the reader: it is read, and the counter asks for the amount.
        await screen(page, 'amount').waitFor();
        assert.equal(await page.locator('html').getAttribute('data-mode'), 'bank');
        assert.equal(await page.locator('.holder [data-field="check"]').textContent(), '通过');
        await assertAccessible(page, 'the amount');
        await keepScreenshot(page, `bank-${shape.name}-amount`);

        if (shape.name === 'landscape') {
          await withdraw(page, '1000', '000000');
          assert.equal(await screen(page, 'withdrawal-result').getAttribute('data-status'), 'declined');
          assert.match((await receipt(page, '授权响应码')) ?? '', /^55 银行卡密码错误/);
          assert.equal(
            await page.locator('[data-field="pin-tries"]').textContent(),
            '密码错误，还可以再试 2 次',
          );
          assert.equal(await balance(), expected, 'nothing moved');
          await assertAccessible(page, 'a declined withdrawal');
          await keepScreenshot(page, `bank-${shape.name}-declined`);
          await page.keyboard.press('Enter');
        }

        const amount = shape.name === 'landscape' ? 100_000 : 50_050;
        await withdraw(page, shape.name === 'landscape' ? '1000' : '500.50', BANK_PIN);
        expected -= amount;
        assert.equal(await screen(page, 'withdrawal-result').getAttribute('data-status'), 'completed');
        assert.equal(
          await page.locator('[data-field="payout"]').textContent(),
          `${shape.name === 'landscape' ? '1,000.00' : '500.50'} 元`,
        );
        const shown = `${Math.floor(expected / 100).toLocaleString('en-US')}.${String(expected % 100).padStart(2, '0')}`;
        assert.equal(await receipt(page, '交易后余额'), shown);
        assert.equal(await balance(), expected);
        await assertPrintedWithoutIdNumber(page);
        await assertAccessible(page, 'the withdrawal result');
        await keepScreenshot(page, `bank-${shape.name}-result`);
        await page.keyboard.press('Enter');
        await screen(page, 'amount').waitFor();

        if (shape.name === 'landscape') {
          // F3: the annual certification on the card's own PIN, typed on the pad.
          await page.keyboard.press('F3');
          await screen(page, 'ask-pin').waitFor();
          pinPad.pad.enterPin(cardPin);
          await page.keyboard.press('Enter');
          await page
            .locator('[data-screen="certified"][data-status="certified"]')
            .waitFor({ timeout: 60_000 });
          const validUntil = await page.locator('[data-field="valid-until"]').textContent();
          const stored = await registry.service.store.get<{ certified_until: string }>(
            'SELECT certified_until FROM pension_entitlements WHERE person_no = ?',
            [personNo],
          );
          assert.equal(validUntil, stored?.certified_until);
          await assertAccessible(page, 'the certification');
          await keepScreenshot(page, `bank-${shape.name}-certified`);
        } else {
          // F2: the card account's balance on the bank PIN, typed on the pad as for a withdrawal;
          // a wrong one is declined by the issuer and counted, like a withdrawal's.
          await page.keyboard.press('F2');
          await screen(page, 'ask-pin').waitFor();
          pinPad.pad.enterPin('000000');
          await page.keyboard.press('Enter');
          await screen(page, 'balance-declined').waitFor({ timeout: 60_000 });
          assert.match((await page.locator('[data-field="arc"]').textContent()) ?? '', /^55 /);
          assert.equal(
            await page.locator('[data-field="pin-tries"]').textContent(),
            '密码错误，还可以再试 2 次',
          );
          await assertAccessible(page, 'a declined balance enquiry');
          await page.keyboard.press('Enter');
          await screen(page, 'ask-pin').waitFor();
          pinPad.pad.enterPin(BANK_PIN);
          await page.keyboard.press('Enter');
          await screen(page, 'statement').waitFor({ timeout: 60_000 });
          assert.equal(await page.locator('[data-field="balance"]').textContent(), `${shown} 元`);
          assert.equal(await page.locator('[data-field="monthly"]').textContent(), '3,124.56');
          await assertPrintedWithoutIdNumber(page);
          await assertAccessible(page, 'the balance');
          await keepScreenshot(page, `bank-${shape.name}-balance`);
        }
      } finally {
        await context.close();
      }
    });
  }
});
