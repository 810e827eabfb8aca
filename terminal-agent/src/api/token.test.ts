import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { ensureApiToken, readApiToken, TokenFileError, tokenMatches } from './token.js';

describe('API token file', () => {
  it('generates a random token on first start, readable by the owner only', async () => {
    const path = join(await tempDir('sscard-token-'), 'data', 'api-token');
    const token = await ensureApiToken(path);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await readFile(path, 'utf8')).trim(), token);
  });

  it('keeps the token across restarts', async () => {
    const path = join(await tempDir('sscard-token-'), 'api-token');
    assert.equal(await ensureApiToken(path), await ensureApiToken(path));
    assert.equal(await readApiToken(path), await ensureApiToken(path));
  });

  it('refuses a token file that other users can read', async () => {
    const path = join(await tempDir('sscard-token-'), 'api-token');
    await ensureApiToken(path);
    await chmod(path, 0o644);
    await assert.rejects(ensureApiToken(path), TokenFileError);
  });

  it('refuses a token file holding a short token', async () => {
    const path = join(await tempDir('sscard-token-'), 'api-token');
    await writeFile(path, 'secret\n', { mode: 0o600 });
    await assert.rejects(ensureApiToken(path), /at least 32/);
  });

  it('tells clients there is no agent token when the file is absent', async () => {
    assert.equal(await readApiToken(join(await tempDir('sscard-token-'), 'none')), undefined);
  });

  it('compares tokens exactly', () => {
    assert.equal(tokenMatches('a'.repeat(40), 'a'.repeat(40)), true);
    assert.equal(tokenMatches('a'.repeat(40), 'a'.repeat(39)), false);
    assert.equal(tokenMatches('a'.repeat(40), undefined), false);
  });
});
