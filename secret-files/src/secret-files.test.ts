import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readIfExists, writeAtomically } from './secret-files.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secret-files-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('readIfExists: a missing file is undefined, a present one its text', async () => {
  assert.equal(await readIfExists(join(dir, 'absent.pem')), undefined);
  await writeFile(join(dir, 'present.pem'), 'PEM\n');
  assert.equal(await readIfExists(join(dir, 'present.pem')), 'PEM\n');
});

test('readIfExists: a failure other than a missing file is thrown', async () => {
  // Reading a directory as a file fails with EISDIR, which must not pass for "no file".
  await assert.rejects(readIfExists(dir), { code: 'EISDIR' });
});

test('writeAtomically: replaces the file whole, with the mode asked for despite the umask', async () => {
  const path = join(dir, 'key.pem');
  await writeFile(path, 'old', { mode: 0o644 });
  const umask = process.umask(0o077);
  try {
    await writeAtomically(path, 'new key', 0o600);
    await writeAtomically(join(dir, 'cert.pem'), 'cert', 0o644);
  } finally {
    process.umask(umask);
  }
  assert.equal(await readIfExists(path), 'new key');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, 'cert.pem'))).mode & 0o777, 0o644);
  assert.deepEqual(
    (await readdir(dir)).filter((name) => name.endsWith('.tmp')),
    [],
    'no temporary file is left behind',
  );
});
