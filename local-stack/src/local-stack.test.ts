import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { startPcscd } from './pcscd.js';
import { run } from './processes.js';
import { startPtyPair } from './pty.js';

async function listReaders(env: Record<string, string>): Promise<string[]> {
  const out = await run('timeout', ['5', 'pcsc_scan', '-r'], { env: { ...process.env, ...env } });
  return out
    .split('\n')
    .map((l) => /^\d+: (.*)$/.exec(l.trim())?.[1])
    .filter((n): n is string => n !== undefined);
}

describe('private pcscd', () => {
  test('offers the vpcd readers it reports, on its own socket', async () => {
    const pcscd = await startPcscd();
    try {
      assert.deepEqual(await listReaders(pcscd.env), pcscd.readerNames);
      assert.deepEqual(pcscd.readerNames, ['Virtual PCD 00 00', 'Virtual PCD 00 01']);
      assert.equal(pcscd.vpcdPorts.length, 2);
      assert.equal(pcscd.vpcdPorts[1], pcscd.vpcdPorts[0]! + 1);
    } finally {
      await pcscd.stop();
    }
  });

  test('gains a second reader across a restart and survives being killed', async () => {
    const pcscd = await startPcscd();
    try {
      await pcscd.kill();
      await assert.rejects(listReaders(pcscd.env));
      await pcscd.restart({ readers: 2 });
      const names = await listReaders(pcscd.env);
      assert.equal(names.length, 4);
      assert.equal(names[2], 'Virtual PCD #2 00 00');
    } finally {
      await pcscd.stop();
    }
  });

  test('two daemons run side by side without seeing each other', async () => {
    const [one, two] = await Promise.all([startPcscd(), startPcscd({ readers: 2 })]);
    try {
      assert.equal((await listReaders(one.env)).length, 2);
      assert.equal((await listReaders(two.env)).length, 4);
      assert.notEqual(one.socketPath, two.socketPath);
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
  });
});

describe('pseudo-terminal pair', () => {
  test('carries bytes from the device side to the host side and back after a replug', async () => {
    const pair = await startPtyPair();
    try {
      for (let round = 0; round < 2; round++) {
        const device = await open(pair.a, 'r+');
        const host = await open(pair.b, 'r+');
        await device.write(Buffer.from([0x02, 0x00, round]));
        const buf = Buffer.alloc(3);
        const { bytesRead } = await host.read(buf, 0, 3);
        assert.equal(bytesRead, 3);
        assert.deepEqual([...buf], [0x02, 0x00, round]);
        await device.close();
        await host.close();
        await pair.replug();
      }
    } finally {
      await pair.close();
    }
  });
});
