import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, test } from 'node:test';
import { run } from '@sscard/local-stack';
import { launchChromium } from './chromium.js';
import { startPostgres } from './postgres.js';

describe('private PostgreSQL', () => {
  test('accepts queries on a fresh database and creates more on demand', async () => {
    const pg = await startPostgres();
    try {
      const out = await run('psql', [pg.url, '-qAtc', 'select current_database()']);
      assert.equal(out.trim(), 'sscard');
      const other = await pg.createDatabase('other_db');
      assert.equal((await run('psql', [other, '-qAtc', 'select current_database()'])).trim(), 'other_db');
    } finally {
      await pg.stop();
    }
  });
});

describe('headless Chromium', () => {
  test('renders a page served on loopback', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        '<!doctype html><title>社会保障卡</title><button id="b" onclick="this.textContent=\'已读取\'">读卡</button>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      assert.equal(await page.title(), '社会保障卡');
      await page.click('#b');
      assert.equal(await page.textContent('#b'), '已读取');
    } finally {
      await browser.close();
      server.close();
    }
  });
});
