import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scope } from '@sscard/registry-protocol';
import { type TestService, startTestService } from '@sscard/card-service/testing/api-fixture';
import type { Clock } from '@sscard/card-service/clock';
import type { ServiceConfigInput } from '@sscard/card-service/config';
import { launchChromium, repoRoot, tempDir } from '@sscard/test-harness';
import type { Browser, Page } from 'playwright-core';

/** The operator console's build, which card-service serves under /console/. */
export const CONSOLE_DIR = join(repoRoot, 'operator-console', 'dist', 'www');

/**
 * One card-service (sqlite3 in a temporary directory, its HSM process) serving the console, and
 * one Chromium. A test file starts one and opens a fresh browser context per operator.
 */
export interface ConsoleUnderTest {
  api: TestService;
  browser: Browser;
  /** A new operator token with these scopes. */
  token(name: string, scopes: Scope[]): Promise<string>;
  /** A fresh context on the console's sign-in page; signed in with `token` when given. */
  open(token?: string): Promise<Page>;
  /** Keeps a full-page screenshot (SSCARD_CONSOLE_SHOTS names a directory to keep them in). */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConsole(
  options: { databaseUrl?: string; overrides?: ServiceConfigInput; clock?: Clock } = {},
): Promise<ConsoleUnderTest> {
  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) {
    throw new Error(`${CONSOLE_DIR} has no build: run \`npm run build -w @sscard/operator-console\``);
  }
  const dataDir = await tempDir('sscard-console-');
  const api = await startTestService(
    options.databaseUrl ?? join(dataDir, 'registry.db'),
    dataDir,
    options.clock,
    undefined,
    {
      ...options.overrides,
      consoleDir: CONSOLE_DIR,
    },
  );
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await api.service.close();
    throw e;
  }
  const shots = process.env.SSCARD_CONSOLE_SHOTS
    ? await mkdtemp(join(process.env.SSCARD_CONSOLE_SHOTS, 'console-'))
    : await tempDir('sscard-console-shots-');
  const consoleUrl = `${api.service.url}/console/`;
  return {
    api,
    browser,
    async token(name, scopes) {
      const answer = await api.call('POST', '/v1/operator-tokens', {
        token: api.adminToken,
        body: { name, scopes },
      });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body.token as string;
    },
    async open(token) {
      // The service's certificate is from its own test CA, which this browser does not know.
      const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        viewport: { width: 1400, height: 1000 },
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
      });
      const page = await context.newPage();
      await page.goto(consoleUrl);
      if (token !== undefined) {
        await page.locator('#token').fill(token);
        await page.locator('.signin button[type="submit"]').click();
        await page.locator('[data-testid="operator"]').waitFor();
      }
      return page;
    },
    async screenshot(page, name) {
      const file = join(shots, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok((await stat(file)).size > 10_000, `${file} looks empty`);
      if (process.env.SSCARD_CONSOLE_SHOTS) console.log(`console screenshot: ${file}`);
    },
    async close() {
      await browser.close();
      await api.service.close();
    },
  };
}

/** What the service answers an operator with this token for a GET, as JSON. */
export async function apiGet(c: ConsoleUnderTest, token: string, path: string): Promise<unknown> {
  const answer = await c.api.call('GET', path, { token });
  assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}
