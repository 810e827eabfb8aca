import assert from 'node:assert/strict';
import { readFile, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '@sscard/test-harness';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * What the browser tests keep for a person to look at: screenshots of the main screens (and the
 * printed slips), under test/artifacts/ (not committed; CI keeps the folder as the run's artifact).
 */
export const ARTIFACTS_DIR = join(repoRoot, 'test', 'artifacts', 'screenshots');

/** The two screen shapes of the counters and kiosks: a portrait and a landscape display. */
export const SCREEN_SHAPES = [
  { name: 'landscape', width: 1920, height: 1080 },
  { name: 'portrait', width: 1080, height: 1920 },
] as const;

/**
 * A browser context of one screen shape, in Chinese; the page's content security policy is
 * bypassed so that axe-core can be injected for the accessibility checks.
 */
export function shapedContext(
  browser: Browser,
  shape: (typeof SCREEN_SHAPES)[number],
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: shape.width, height: shape.height },
    locale: 'zh-CN',
    bypassCSP: true,
  });
}

export async function keepScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok((await stat(file)).size > 10_000, `${file} looks empty`);
  return file;
}

/** The page printed as Chromium prints it (the print style sheet applies), kept as a PDF. */
export async function keepPdf(page: Page, name: string, format: 'A4' | 'A5' = 'A5'): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.pdf`);
  await page.pdf({ path: file, format, printBackground: true });
  const head = (await readFile(file)).subarray(0, 5).toString('latin1');
  assert.equal(head, '%PDF-', `${file} is no PDF`);
  return file;
}

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * axe-core's WCAG 2 A and AA rules over the page as it is now: no serious or critical violation.
 * The page's content security policy admits only its own scripts, so the context that opens it
 * must be made with `bypassCSP: true` for axe to be injected.
 */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) {
    await page.addScriptTag({ content: await axeSource });
  }
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
       .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
         nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  );
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    serious.map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    [],
    `accessibility of ${screen}`,
  );
}
