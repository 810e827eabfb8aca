import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import type { SlotCard } from '@sscard/card-emulator/slot-card';
import { launchChromium, type Pcscd, repoRoot, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import type { AgentConfig } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { createLogger } from '@sscard/log';
import type { Browser, Page } from 'playwright-core';

/** The kiosk UI's build, which the agent serves. */
export const UI_DIR = join(repoRoot, 'kiosk-ui', 'dist', 'www');

export const quietLog = createLogger({ level: 'error', write: () => {} });

/**
 * A kiosk agent on a private pcscd with a virtual card slot (vpcd slot 0), and Chromium to show
 * its UI. `agent` may be replaced by a test that restarts the agent; `close` stops the current one.
 */
export interface KioskUnderTest {
  pcscd: Pcscd;
  agent: RunningAgent;
  slot: VpcdSlot;
  browser: Browser;
  dataDir: string;
  userReader(): ReturnType<RunningAgent['readers']['list']>[number] | undefined;
  /** Puts a card in the slot and waits for the agent to see it. */
  insertCard(card: SlotCard): Promise<void>;
  /**
   * A fresh browser context on the kiosk, loaded up to the idle screen, with `query` as the page
   * address's query string (the kiosk's settings). Close with `page.context().close()`.
   */
  openKiosk(beforeLoad?: (page: Page) => void, query?: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startKiosk(options: {
  dataDirPrefix: string;
  /** The agent's configuration, with the data directory made for it. */
  config: (dataDir: string) => AgentConfig | Promise<AgentConfig>;
}): Promise<KioskUnderTest> {
  if (!existsSync(join(UI_DIR, 'index.html'))) {
    throw new Error(`${UI_DIR} has no build: run \`npm run build -w @sscard/kiosk-ui\``);
  }
  const started: Partial<Omit<KioskUnderTest, 'userReader' | 'insertCard' | 'openKiosk' | 'close'>> = {};
  const close = async () => {
    await started.browser?.close();
    started.slot?.close();
    await started.agent?.stop();
    await started.pcscd?.stop();
  };
  try {
    const pcscd = await startPcscd({ readers: 1 });
    started.pcscd = pcscd;
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    const dataDir = await tempDir(options.dataDirPrefix);
    started.dataDir = dataDir;
    const agent = await startAgent(await options.config(dataDir), quietLog);
    started.agent = agent;
    await agent.registry.ready();
    started.slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
    started.browser = await launchChromium();
  } catch (e) {
    await close();
    throw e;
  }
  const kiosk = started as KioskUnderTest;
  kiosk.close = close;
  kiosk.userReader = () => kiosk.agent.readers.list().find((r) => r.role === 'user');
  kiosk.insertCard = async (card) => {
    kiosk.slot.insert(card);
    await waitFor('the card', () => kiosk.userReader()?.card);
  };
  kiosk.openKiosk = async (beforeLoad, query) => {
    const context = await kiosk.browser.newContext({
      viewport: { width: 1280, height: 1024 },
      locale: 'zh-CN',
    });
    const page = await context.newPage();
    beforeLoad?.(page);
    await page.goto(`http://127.0.0.1:${kiosk.agent.address.port}/${query ? `?${query}` : ''}`);
    await page.locator('[data-screen="idle"]').waitFor();
    return page;
  };
  return kiosk;
}

/** Presses keys on the on-screen keypad and waits for the agent's count of digits held. */
export async function typeOnKeypad(page: Page, digits: string, already = 0): Promise<void> {
  const pin = page.locator('[data-screen="pin"][data-device="keypad"]');
  await pin.waitFor();
  for (const [i, digit] of [...digits].entries()) {
    await pin.locator(`button[data-key="${digit}"]`).click();
    await pin.locator(`.pin-dots[data-entered="${already + i + 1}"]`).waitFor();
  }
}
