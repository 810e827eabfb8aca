import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import {
  captureOutput,
  freePort,
  type Pcscd,
  repoRoot,
  spawnTracked,
  startPcscd,
  tempDir,
  waitFor,
} from '@sscard/test-harness';
import { OutboxJournal } from '@sscard/terminal-agent/registry/journal';
import { demoCardsByGeneration } from './agent-stack.js';
import { type RegistryUnderTest, startRegistry } from './registry-fixture.js';

/**
 * The `sscard agent` process as a terminal runs it (enrolled with a real card-service, so its
 * journal is open), over a private pcscd, with a card that stops answering: vpcd has no response
 * timeout, so the agent's SCardTransmit never returns while the card stays in.
 */
const TERMINAL = 'H-330300-0042';
const DEADLINE_MS = 1_500;

let registry: RegistryUnderTest;
let pcscd: Pcscd;
let slot: VpcdSlot;
let card: CardWithFaults;
let dataDir: string;
let agent: ChildProcess;
let output: () => string;
let base: string;
let token: string;

before(async () => {
  registry = await startRegistry();
  pcscd = await startPcscd({ readers: 1 });
  dataDir = await tempDir('sscard-agent-mute-');
  const port = await freePort();
  const configPath = join(dataDir, 'agent.json');
  await writeFile(
    configPath,
    JSON.stringify({
      terminal: { id: TERMINAL, type: 'hospital', region: '330300' },
      api: { port },
      readers: { cardDeadlineMs: DEADLINE_MS, psam: ' 01' },
      pin: { entry: 'none' },
      cardService: await registry.agentCardService(TERMINAL, 'hospital', '330300'),
      dataDir,
    }),
  );
  agent = spawnTracked(
    process.execPath,
    [join(repoRoot, 'terminal-agent', 'bin', 'sscard.cjs'), 'agent', '--config', configPath],
    { env: { ...process.env, ...pcscd.env } },
  );
  output = captureOutput(agent);
  base = `http://127.0.0.1:${port}`;
  await waitFor(
    'the agent to be enrolled and connected to card-service',
    async () => {
      if (agent.exitCode !== null) throw new Error(`the agent exited: ${output()}`);
      const health = (await (await fetch(`${base}/healthz`)).json()) as { registry: { state: string } };
      return health.registry.state === 'connected';
    },
    30_000,
  );
  token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
  const { gen2 } = demoCardsByGeneration();
  card = new CardWithFaults(createCard(gen2, registry.keyset));
  slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
  slot.insert(card);
});

after(async () => {
  if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  slot?.close();
  await pcscd?.stop();
  await registry?.close();
});

async function read(): Promise<{
  status: number;
  body: { code?: string; details?: Record<string, unknown> };
}> {
  const res = await fetch(`${base}/v1/card/read`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

test('a mute card fails the read with CardMute at the configured deadline, and SIGTERM ends the agent with its journal closed', async () => {
  await waitFor('the card to be readable', async () => (await read()).status === 200);

  card.fault = { kind: 'mute' };
  const asked = Date.now();
  const answer = await read();
  const waited = Date.now() - asked;
  assert.equal(answer.status, 504);
  assert.equal(answer.body.code, 'CardMute');
  assert.ok(waited >= DEADLINE_MS, `answered after ${waited} ms, before the ${DEADLINE_MS} ms deadline`);
  // The old fixed 30 s deadline would still be waiting.
  assert.ok(waited < 10_000, `answered after ${waited} ms`);

  // The card is still in and still mute: the agent's SCardTransmit is parked in the binding.
  const signalled = Date.now();
  agent.kill('SIGTERM');
  await waitFor('the agent to end', () => agent.exitCode !== null || agent.signalCode !== null, 10_000);
  const ending = Date.now() - signalled;
  assert.ok(ending < 5_000, `the agent took ${ending} ms to end after SIGTERM`);
  assert.equal(agent.signalCode, 'SIGTERM');
  assert.match(output(), /"msg":"agent stopped"/);
  assert.match(output(), /"msg":"a card never answered; ending without waiting for its reader call"/);

  // Closed cleanly: SQLite removes the write-ahead log when its last connection closes.
  const journalPath = join(dataDir, 'journal.sqlite3');
  assert.ok(existsSync(journalPath));
  assert.equal(existsSync(`${journalPath}-wal`), false, 'the journal was left with an open write-ahead log');
  const journal = await OutboxJournal.open(journalPath, { terminalId: TERMINAL });
  await journal.close();
});
