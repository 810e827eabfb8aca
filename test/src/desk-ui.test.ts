/**
 * The hospital desk's screens in Debian's Chromium against the whole stack: card-service with its
 * HSM process, the agent enrolled as a hospital desk serving the UI, a private pcscd with vpcd and
 * a virtual card personalised by the service, and the serial PIN pad on a socat pty pair. The
 * clerk works the keyboard (F-keys, Enter); the patient types the PIN on the pad. Each screen
 * shape is one settlement end to end, with the slip printed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, parseCardDocument } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { SerialPinPadFirmware } from '@sscard/card-emulator/serial/index';
import { defaultProfiles } from '@sscard/firmware-profiles';
import {
  launchChromium,
  type Pcscd,
  type PtyPair,
  startPcscd,
  startPtyPair,
  tempDir,
  waitFor,
} from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import type { Browser, Page } from 'playwright-core';
import {
  assertAccessible,
  keepPdf,
  keepScreenshot,
  SCREEN_SHAPES,
  shapedContext,
} from './browser-artifacts.js';
import { assignDesk, deskBill, insuredCard, ledgerBalances, setUpDeskWorld } from './desk-fixture.js';
import { quietLog, UI_DIR } from './kiosk-fixture.js';
import { type RegistryUnderTest, type SeededCard, startRegistry } from './registry-fixture.js';

const DESK = 'H-330300-0301';

/** Fen as the desk shows it. */
const shown = (fen: number) =>
  `${Math.floor(fen / 100).toLocaleString('en-US')}.${String(fen % 100).padStart(2, '0')}`;

describe('the hospital desk screens in Chromium against the agent, card-service, pcscd and the PIN pad', () => {
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let padPair: PtyPair;
  let pad: SerialPinPadFirmware;
  let agent: RunningAgent;
  let slot: VpcdSlot;
  let browser: Browser;
  let base: string;
  let token: string;

  before(async () => {
    registry = await startRegistry();
    await setUpDeskWorld(registry);
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    padPair = await startPtyPair();
    pad = await SerialPinPadFirmware.open({
      path: padPair.a,
      profile: defaultProfiles().pinPad('sscard-serial-pinpad'),
    });
    const dataDir = await tempDir('sscard-desk-ui-');
    agent = await startAgent(
      AgentConfigSchema.parse({
        terminal: { id: DESK, type: 'hospital', region: '330300' },
        api: { port: 0, uiDir: UI_DIR, tokenFile: join(dataDir, 'api-token') },
        pin: {
          entry: 'pinpad',
          pinpad: { profile: 'sscard-serial-pinpad', path: padPair.b },
          timeoutMs: 60_000,
        },
        cardService: await registry.agentCardService(DESK, 'hospital', '330300'),
        dataDir,
      }),
      quietLog,
    );
    await agent.registry.ready();
    await assignDesk(registry, DESK);
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    base = `http://127.0.0.1:${agent.address.port}`;
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    slot?.close();
    await agent?.stop();
    await pad?.close();
    await padPair?.close();
    await pcscd?.stop();
    await registry?.close();
  });

  const userReader = () => agent.readers.list().find((r) => r.role === 'user');

  async function insert(card: SeededCard): Promise<void> {
    slot.insert(new CardWithFaults(createCard(parseCardDocument(card.document), registry.keyset)));
    await waitFor('the card', () => userReader()?.card);
  }

  async function remove(): Promise<void> {
    slot.remove();
    await waitFor('the card to be out', () => !userReader()?.card);
  }

  /** The HIS's call to the agent's REST API, with the terminal's API token. */
  async function his<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as T;
    assert.equal(res.status, 200, JSON.stringify(answer));
    return answer;
  }

  const screen = (page: Page, name: string) => page.locator(`[data-screen="${name}"]`);
  const amount = (page: Page, field: string) =>
    page.locator(`#slip [data-field="${field}"] dd`).textContent();

  /** The bill as a clerk types it: code, price in yuan, quantity. */
  const typedBill = deskBill('outpatient-bill.json')
    .map((l) => `${l.itemCode} ${shown(l.unitPrice).replaceAll(',', '')} ${l.quantity}`)
    .join('\n');

  for (const shape of SCREEN_SHAPES) {
    it(`settles an outpatient bill at a ${shape.name} desk (${shape.name === 'landscape' ? 'typed' : 'from the HIS'}), keyboard only, and prints the slip`, async () => {
      const patient = await insuredCard(registry, 12000);
      const pin = (patient.document as { pin: { value: string } }).pin.value;
      const context = await shapedContext(browser, shape);
      const page = await context.newPage();
      try {
        await page.goto(base);
        await screen(page, 'card').waitFor();
        assert.equal(await page.locator('html').getAttribute('data-mode'), 'desk');
        assert.equal(await page.title(), '医保结算窗口');
        assert.match((await page.locator('.counter-place').textContent()) ?? '', /City Hospital/);
        // A desk's screens, and none of the kiosk's.
        assert.equal(await page.locator('[data-screen="idle"]').count(), 0);
        await keepScreenshot(page, `desk-${shape.name}-card`);

        await insert(patient);
        await screen(page, 'visit').waitFor();
        assert.ok(await page.locator('.holder [data-field="card-number"]').textContent());
        assert.equal(await page.locator('.holder [data-field="check"]').textContent(), '通过');
        if (shape.name === 'landscape') {
          // The clerk types the visit number and the bill, and pre-settles with F9.
          await page.keyboard.type(`MZ-UI-${shape.name}`);
          await page.locator('textarea[name="bill"]').fill(typedBill);
          assert.equal(await page.locator('#bill-summary').textContent(), '4 项，合计 552.90 元');
          await assertAccessible(page, 'the visit form');
          await keepScreenshot(page, `desk-${shape.name}-visit`);
          await page.keyboard.press('F9');
        } else {
          // The HIS registers the visit, sends its bill and pre-settles through the agent; the
          // desk screen takes the quote from the agent's announcements.
          const visit = await his<{ visitId: string }>('/v1/settlement/visits', {
            scheme: '310',
            visitType: 'outpatient',
            hisVisitNo: `MZ-UI-${shape.name}`,
          });
          await his(`/v1/settlement/visits/${visit.visitId}/lines`, {
            lines: deskBill('outpatient-bill.json'),
          });
          await his(`/v1/settlement/visits/${visit.visitId}/pre-settle`, { useAccount: true });
          await page.locator('[data-from="his"]').waitFor();
        }
        await screen(page, 'quote').waitFor();
        // The breakdown the service answered (docs: the example policy, fresh accumulators).
        assert.equal(await amount(page, 'medfee_sumamt'), '552.90');
        assert.equal(await amount(page, 'inscp_scp_amt'), '380.93');
        assert.equal(await amount(page, 'acct_pay'), '120.00');
        assert.equal(await amount(page, 'psn_cash_pay'), '432.90');
        assert.equal(await screen(page, 'pre-slip').count(), 1, 'a preview, not yet a slip');
        await assertAccessible(page, 'the pre-settlement');
        await keepScreenshot(page, `desk-${shape.name}-quote`);

        if (shape.name === 'landscape') {
          // A wrong PIN: the card refuses it, nothing is sent, and Enter goes back to the preview.
          pad.enterPin('000000');
          await page.keyboard.press('Enter');
          await page.locator('[data-screen="problem"][data-code="PIN_WRONG"]').waitFor({ timeout: 60_000 });
          assert.match((await page.locator('.refusal').textContent()) ?? '', /密码错误，还可以再试 2 次/);
          await keepScreenshot(page, `desk-${shape.name}-pin-wrong`);
          await page.keyboard.press('Enter');
          await screen(page, 'quote').waitFor();
        }
        // Enter: the patient is asked for the PIN on the pad, types it, and the bill is settled.
        pad.enterPin(pin);
        await page.keyboard.press('Enter');
        await screen(page, 'settled').waitFor({ timeout: 60_000 });
        const settlementId = await page
          .locator('#slip .slip-head div', { hasText: '结算流水号' })
          .locator('dd')
          .textContent();
        assert.ok(settlementId);
        assert.equal(await amount(page, 'psn_cash_pay'), '432.90');
        const stored = await registry.service.store.get<{
          terminal_id: string;
          medfee_sumamt: number | string;
        }>('SELECT terminal_id, medfee_sumamt FROM settlements WHERE settlement_id = ?', [settlementId]);
        assert.deepEqual([stored?.terminal_id, Number(stored?.medfee_sumamt)], [DESK, 55290]);
        assert.ok(await ledgerBalances(registry));
        await assertAccessible(page, 'the slip');
        await keepScreenshot(page, `desk-${shape.name}-slip`);

        // Printed, the slip is all there is on the page.
        await page.emulateMedia({ media: 'print' });
        assert.equal(await page.locator('.counter-bar').isVisible(), false);
        assert.equal(await page.locator('.counter-actions').first().isVisible(), false);
        assert.equal(await page.locator('#slip').isVisible(), true);
        // The slip leaves the building with the patient: no ID number on paper, whole or masked.
        // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, without what print hides
        assert.doesNotMatch(await page.locator('body').innerText(), /\d{6}(\d{8}|\*{8})\d{3}[\dXx]/);
        await keepPdf(page, `desk-${shape.name}-slip`);
        await page.emulateMedia({ media: 'screen' });

        // The day's settlements (F2) list it, and the clerk may cancel it there.
        await page.keyboard.press('F2');
        const row = page.locator(`tr[data-settlement="${settlementId}"]`);
        await row.waitFor();
        assert.equal(await row.getAttribute('data-status'), 'settled');
        await assertAccessible(page, "the day's settlements");
        await keepScreenshot(page, `desk-${shape.name}-day`);
        if (shape.name === 'landscape') {
          await row.locator('[data-action="cancel"]').click();
          await page.locator('[data-action="confirm-cancel"]').click();
          await page.locator(`tr[data-settlement="${settlementId}"][data-status="cancelled"]`).waitFor();
          const ended = await registry.service.store.get<{ kind: string }>(
            'SELECT kind FROM settlement_endings WHERE settlement_id = ?',
            [settlementId],
          );
          assert.equal(ended?.kind, 'cancelled');
          assert.ok(await ledgerBalances(registry));
        }

        // Nothing pending (F3), and the day reconciles (F4).
        await page.keyboard.press('F3');
        await screen(page, 'pending').locator('td', { hasText: '无' }).waitFor();
        await page.keyboard.press('F4');
        await page.locator('[data-balanced="true"]').waitFor();
        await assertAccessible(page, 'the reconciliation');
        await keepScreenshot(page, `desk-${shape.name}-reconciliation`);

        // The English switch the kiosk has.
        await page.locator('#lang-toggle').click();
        await page.locator('.counter-title', { hasText: 'Medical Insurance Settlement Desk' }).waitFor();
        assert.equal(await page.locator('html').getAttribute('lang'), 'en');
        await page.locator('#lang-toggle').click();
      } finally {
        await context.close();
        if (userReader()?.card) await remove();
      }
    });
  }
});
