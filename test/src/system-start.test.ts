import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, repoRoot, tempDir, waitFor } from '@sscard/test-harness';

const run = promisify(execFile);

// The whole system as `npm start` brings it up (registry, private pcscd, emulator, kiosk agent),
// driven the way an operator would: the printed ready banner, then the `sscard` CLI.
describe('npm start', () => {
  let child: ChildProcess;
  let output = '';
  const env: Record<string, string> = {};

  before(async () => {
    env.SSCARD_DATA_DIR = await tempDir('sscard-start-');
    env.SSCARD_SERVICE_PORT = String(await freePort());
    env.SSCARD_API_PORT = String(await freePort());
    env.SSCARD_EMULATOR_PORT = String(await freePort());
    child = spawn(process.execPath, [join(repoRoot, 'scripts', 'start.mjs')], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitFor('the ready banner', () => output.includes('Ctrl-C stops everything'), 180_000, 100);
  });

  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  const sscard = (...args: string[]) =>
    run(process.execPath, [join(repoRoot, 'terminal-agent', 'dist', 'sscard.cjs'), ...args], {
      env: { ...process.env, ...env },
    });

  test('the agent shows the virtual readers and the demo card in its log', () => {
    // One log record per line, its fields in whatever order the logger writes them.
    const logged = (msg: string, reader: string) =>
      output.split('\n').some((line) => line.includes(msg) && line.includes(reader));
    assert.ok(logged('reader added', 'Virtual PCD 00 00'), output);
    assert.ok(logged('card inserted', 'Virtual PCD 00 00'), output);
    // The serial reader with a PIN keypad (sscard-stx-bcc-keypad) on its pseudo-terminal.
    assert.ok(logged('reader added', 'sscard serial reader'), output);
  });

  test('sscard read prints the verified card with its registry check', async () => {
    const result = await waitFor(
      'the agent to be enrolled and read the card',
      async () => {
        const { stdout } = await sscard('read', '--json');
        const parsed = JSON.parse(stdout) as {
          verification: { genuine: boolean };
          registry?: { status: string };
          info: { cardNumber: string };
        };
        return parsed.registry?.status === 'valid' ? parsed : undefined;
      },
      30_000,
      500,
    );
    assert.equal(result.verification.genuine, true);
    assert.match(result.info.cardNumber, /^[0-9A-Z*]{9}$/);
  });

  test('sscard read --bas prints the ministry string for the same card', async () => {
    const { stdout } = await sscard('read', '--bas');
    const fields = stdout.trim().split('|');
    assert.equal(fields.length, 12);
    assert.equal(fields[11], '');
    assert.match(fields[3]!, /^[0-9A-F]{32}$/);
  });

  test('Ctrl-C stops every component', async () => {
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
  });
});
