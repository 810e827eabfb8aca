import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testIssuerKeyset } from '../testing/api-fixture.js';
import { hsmPaths } from './hsm-paths.js';
import { createMasterKeyFile, openKeyFile, readMasterKey, sealKeyset } from './key-file.js';
import { serviceKeysetFromIssuer } from './service-keyset.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const HSM_MAIN = fileURLToPath(new URL('./hsm-main.js', import.meta.url));

/** An issuer keyset as card-emulator writes it: with what the service must never receive. */
function fullIssuerKeyset(): Record<string, unknown> {
  const { keyset } = testIssuerKeyset() as { keyset: Record<string, unknown> };
  const emv = keyset.emv as Record<string, unknown>;
  return {
    ...keyset,
    emv: {
      ...emv,
      ca: {
        rid: 'A000000333',
        index: '80',
        key: { modulus: 'C1'.repeat(176), exponent: '03', privateExponent: 'CA'.repeat(176) },
      },
      issuer: {
        key: { modulus: 'B1'.repeat(144), exponent: '03', privateExponent: 'BE'.repeat(144) },
        identifier: '623',
        certificateExpiry: '1236',
        certificateSerial: '0A0B0C',
      },
      iccKeySeed: 'DD'.repeat(32),
    },
  };
}

describe('the HSM key file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-keyfile-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('`sscard-service keys` seals only what the service needs: no CA or issuer private key, no ICC seed, no update key', async () => {
    const issuer = fullIssuerKeyset();
    const issuerPath = join(dir, 'issuer.json');
    await writeFile(issuerPath, JSON.stringify(issuer), { mode: 0o600 });
    const env = {
      PATH: process.env.PATH ?? '',
      SSCARD_DATA_DIR: join(dir, 'service'),
      SSCARD_HSM_MASTER_KEY_FILE: join(dir, 'master', 'key'),
    };
    const made = spawnSync(process.execPath, [CLI, 'keys', '--issuer', issuerPath, '--new-master-key'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(made.status, 0, made.stderr);
    const paths = hsmPaths(join(dir, 'service', 'hsm'));
    assert.equal((await stat(paths.keyFile)).mode & 0o777, 0o600);
    assert.equal((await stat(paths.dir)).mode & 0o777, 0o700);
    assert.equal((await stat(env.SSCARD_HSM_MASTER_KEY_FILE)).mode & 0o777, 0o600);
    const sealed = await readFile(paths.keyFile, 'utf8');
    const ssse = (issuer.ssse as Record<string, Record<string, string>>)['3des']!;
    // Sealed: not one key of the issuer appears in the file as it lies on disk.
    for (const secret of [ssse.internalAuth!, ssse.pinReload!, 'CA'.repeat(176)])
      assert.equal(sealed.includes(secret), false);
    const keyset = await openKeyFile(paths.keyFile, await readMasterKey(env.SSCARD_HSM_MASTER_KEY_FILE));
    const text = JSON.stringify(keyset);
    assert.equal(keyset.ssse['3des'].internalAuth, ssse.internalAuth);
    for (const absent of ['CA'.repeat(176), 'BE'.repeat(144), 'DD'.repeat(32), ssse.update!])
      assert.equal(text.includes(absent), false);
    assert.equal(text.includes('privateExponent'), false);
    // Made once: a second run would replace the audit MAC key, so it refuses.
    const again = spawnSync(process.execPath, [CLI, 'keys', '--issuer', issuerPath], {
      env,
      encoding: 'utf8',
    });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists/);
  });

  test('is refused under another master key and when altered', async () => {
    const keyset = serviceKeysetFromIssuer(testIssuerKeyset().keyset);
    const master = Buffer.alloc(32, 7);
    const path = join(dir, 'sealed.json');
    const text = sealKeyset(keyset, master);
    await writeFile(path, text, { mode: 0o600 });
    assert.deepEqual(await openKeyFile(path, master), keyset);
    await assert.rejects(openKeyFile(path, Buffer.alloc(32, 8)), /another master key/);
    const file = JSON.parse(text);
    const sealedBytes = Buffer.from(file.sealed, 'base64');
    sealedBytes[10]! ^= 1;
    await writeFile(path, JSON.stringify({ ...file, sealed: sealedBytes.toString('base64') }), {
      mode: 0o600,
    });
    await assert.rejects(openKeyFile(path, master), /altered or damaged/);
  });

  test('the HSM process refuses to start on a key file or master key readable by others or owned by someone else', async () => {
    const hsmDir = join(dir, 'hsm2');
    const masterPath = join(dir, 'master2', 'key');
    await createMasterKeyFile(masterPath);
    const paths = hsmPaths(hsmDir);
    await mkdir(hsmDir, { recursive: true, mode: 0o700 });
    await writeFile(
      paths.keyFile,
      sealKeyset(serviceKeysetFromIssuer(testIssuerKeyset().keyset), await readMasterKey(masterPath)),
      { mode: 0o600 },
    );
    const start = () =>
      spawnSync(process.execPath, [HSM_MAIN, 'serve', '--dir', hsmDir], {
        env: { PATH: process.env.PATH ?? '', SSCARD_HSM_MASTER_KEY_FILE: masterPath },
        encoding: 'utf8',
        timeout: 20_000,
      });
    await chmod(paths.keyFile, 0o640);
    let run = start();
    assert.equal(run.status, 1);
    assert.match(run.stderr, /HSM key file .* has mode 640: it must be 600/);
    await chmod(paths.keyFile, 0o600);
    await chmod(masterPath, 0o644);
    run = start();
    assert.equal(run.status, 1);
    assert.match(run.stderr, /HSM master key .* has mode 644/);
    await chmod(masterPath, 0o600);
    if (process.getuid?.() === 0) {
      await chown(paths.keyFile, 65534, 65534);
      run = start();
      assert.equal(run.status, 1);
      assert.match(run.stderr, /belongs to uid 65534, not to the running user/);
      await chown(paths.keyFile, 0, 0);
    }
    const noMaster = spawnSync(process.execPath, [HSM_MAIN, 'serve', '--dir', hsmDir], {
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    assert.equal(noMaster.status, 2);
    assert.match(noMaster.stderr, /no master key/);
  });
});
