import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  captureOutput,
  freePort,
  type Pcscd,
  spawnTracked,
  startPcscd,
  tempDir,
  terminate,
  waitFor,
} from '@sscard/test-harness';
import { runScriptor } from '../testing/pcsc-tools.js';
import { testKeyset } from '../testing/card-fixtures.js';
import { demoCardDocuments, saveKeyset } from '../cards/index.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';
const [doc] = demoCardDocuments();
const WRONG_VERIFY = '0020000003999999';
const RIGHT_VERIFY = `0020000003${doc!.pin.value}`;

let pcscd: Pcscd;
let dir: string;
let keysPath: string;
let running: ChildProcess | undefined;

/** `sscard-emulator start` as an operator runs it, with the cards' memory in `dir/memory`. */
async function startEmulator(): Promise<ChildProcess> {
  const child = spawnTracked(process.execPath, [
    CLI,
    'start',
    '--keys',
    keysPath,
    '--memory-dir',
    join(dir, 'memory'),
    '--vpcd-port',
    String(pcscd.vpcdPorts[0]),
    '--psam-port',
    String(pcscd.vpcdPorts[1]),
    '--control-port',
    String(await freePort()),
  ]);
  const output = captureOutput(child);
  await waitFor('the emulator to be ready', () => {
    if (child.exitCode !== null) throw new Error(`the emulator exited: ${output()}`);
    return /ready in/.test(output());
  });
  running = child;
  return child;
}

/** The status words scriptor saw, after selecting the application; waits for the card to show. */
async function statusWords(apdus: string[]): Promise<string[]> {
  let sws: string[] = [];
  await waitFor('the card to answer through pcscd', async () => {
    const run = await runScriptor(pcscd.env, pcscd.readerNames[0]!, [SELECT_SSSE, ...apdus]);
    if (run.exchanges[0]?.response !== '9000') return false;
    sws = run.exchanges.slice(1).map((e) => e.response?.slice(-4) ?? 'none');
    return true;
  });
  return sws;
}

before(async () => {
  pcscd = await startPcscd();
  dir = await tempDir('sscard-memory-restart-');
  keysPath = join(dir, 'issuer.json');
  await saveKeyset(keysPath, testKeyset());
});

after(async () => {
  if (running) await terminate(running);
  await pcscd.stop();
});

test('a PIN blocked through pcscd stays blocked after the emulator is killed and started again', async () => {
  const first = await startEmulator();
  assert.deepEqual(await statusWords([WRONG_VERIFY, WRONG_VERIFY]), ['63C2', '63C1']);
  // Killed outright: the memory must already be on disk when the card answered.
  first.kill('SIGKILL');
  await waitFor('the emulator to die', () => first.signalCode !== null);

  await startEmulator();
  assert.deepEqual(await statusWords(['00200000', WRONG_VERIFY, RIGHT_VERIFY]), ['63C1', '63C0', '6983']);
  await terminate(running!);

  await startEmulator();
  assert.deepEqual(await statusWords([RIGHT_VERIFY]), ['6983']);
});
