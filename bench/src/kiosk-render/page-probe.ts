import type { launchChromium } from '@sscard/test-harness';
import { wallClockMs } from './contacts.js';

type Browser = Awaited<ReturnType<typeof launchChromium>>;
export type Page = Awaited<ReturnType<Browser['newPage']>>;

/** When the page first showed the expected name: wall-clock ms on the page's clock. */
export interface NameShown {
  domAt: number;
  /** The next animation frame after that DOM change: the earliest it can have been painted. */
  frameAt: number;
  /** The `data-screen` of the screen that showed it. */
  screen: string;
}

/**
 * Watches every DOM change of the page, from before its own scripts run, for a screen whose text
 * holds the expected name, and notes the time in the page, at the change itself: polling from the
 * benchmark would add its polling interval to every figure. (Page code as text: this package is
 * compiled without the DOM's types.)
 */
const PROBE = `
new MutationObserver(() => {
  const probe = window.__nameProbe;
  if (!probe || probe.shown) return;
  for (const screen of document.querySelectorAll('[data-screen]')) {
    if (!(screen.textContent || '').includes(probe.expect)) continue;
    const shown = {
      domAt: performance.timeOrigin + performance.now(),
      frameAt: NaN,
      screen: screen.getAttribute('data-screen') || '',
    };
    probe.shown = shown;
    requestAnimationFrame(() => { shown.frameAt = performance.timeOrigin + performance.now(); });
    return;
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
`;

export async function installRenderProbe(page: Page): Promise<void> {
  await page.addInitScript({ content: PROBE });
}

/** Arms the probe for `expect` (the masked name as the kiosk shows it); the next show is recorded. */
export async function armNameProbe(page: Page, expect: string): Promise<void> {
  await page.evaluate(`window.__nameProbe = { expect: ${JSON.stringify(expect)} }`);
}

/**
 * Waits for the probe's record. Asked every 25 ms with `evaluate` (`waitForFunction` would need
 * the page's policy to allow eval); the time comes from the page, so the asking adds nothing to it.
 */
export async function waitNameShown(page: Page, timeoutMs = 20_000): Promise<NameShown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await page.evaluate<NameShown | null>(
      `(() => { const s = window.__nameProbe && window.__nameProbe.shown; return s && Number.isFinite(s.frameAt) ? s : null; })()`,
    );
    if (shown) return shown;
    if (Date.now() > deadline) throw new Error(`the name was not shown within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface PageClock {
  /** Page clock minus the benchmark's clock, in ms. */
  offset: number;
  /** How far the true offset can be from it: half the round trip of the probe it came from. */
  bound: number;
  samples: number;
}

/**
 * Both clocks are `performance.timeOrigin + performance.now()`: the system's wall clock when each
 * process started, advanced by a monotonic clock, on one machine. They should agree to well under
 * a millisecond; this measures it instead of assuming it, reading the page's clock between two
 * readings of ours and keeping the probe with the shortest round trip.
 */
export async function pageClockOffset(page: Page, samples = 15): Promise<PageClock> {
  let best = { offset: Number.NaN, bound: Number.POSITIVE_INFINITY };
  for (let i = 0; i < samples; i++) {
    const before = wallClockMs();
    const inPage = await page.evaluate<number>('performance.timeOrigin + performance.now()');
    const after = wallClockMs();
    const bound = (after - before) / 2;
    if (bound < best.bound) best = { offset: inPage - (before + after) / 2, bound };
  }
  return { ...best, samples };
}
