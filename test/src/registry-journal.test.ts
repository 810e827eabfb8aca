import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { captureOutput, spawnTracked, tempDir } from '@sscard/test-harness';
import {
  type CardPresentProof,
  RegistryClient,
  isRegistryError,
  loadOrEnrol,
  openTerminalRegistry,
  proveCardPresence,
} from '@sscard/terminal-agent/registry/index';
import {
  type RegistryUnderTest,
  type SeededCard,
  citizenId,
  seedActiveCard,
  selectSsse,
  startRegistry,
  virtualCardChannel,
} from './registry-fixture.js';

let registry: RegistryUnderTest;

before(async () => {
  registry = await startRegistry();
});
after(async () => {
  await registry.close();
});

const CHILD = fileURLToPath(new URL('./registry-crash-child.js', import.meta.url));

async function enrolledAgent(terminalId: string) {
  const dataDir = await tempDir('sscard-agent-');
  await loadOrEnrol({
    serviceUrl: registry.service.url,
    dataDir,
    caCertPath: registry.caCertPath,
    enrolmentCode: await registry.enrolmentCode(terminalId, 'kiosk'),
  });
  return { dataDir, journalPath: join(dataDir, 'journal.sqlite3') };
}

type EnrolledAgent = Awaited<ReturnType<typeof enrolledAgent>>;

/** The terminal side of an enrolled agent, on its journal (opened again, it is the agent after a restart). */
function openTerminal(agent: EnrolledAgent, serviceUrl = registry.service.url) {
  return openTerminalRegistry({
    serviceUrl,
    dataDir: agent.dataDir,
    journalPath: agent.journalPath,
    resendIntervalMs: 0,
  });
}

/**
 * The card's answer to a fresh challenge the service issues to this terminal: what the agent gets
 * from the card in its reader before it reports the card lost.
 */
async function cardProof(
  client: Pick<RegistryClient, 'createChallenge'>,
  card: SeededCard,
): Promise<CardPresentProof> {
  const channel = virtualCardChannel(card.document, registry.keyset);
  await selectSsse(channel);
  return proveCardPresence(client, channel, card.cardIdCode);
}

/** The proof as the enrolled agent's own client obtains it (no journal opened). */
async function agentProof(agent: EnrolledAgent, card: SeededCard): Promise<CardPresentProof> {
  const enrolled = await loadOrEnrol({ serviceUrl: registry.service.url, dataDir: agent.dataDir });
  const client = new RegistryClient({ serviceUrl: registry.service.url, credentials: enrolled.credentials });
  try {
    return await cardProof(client, card);
  } finally {
    client.close();
  }
}

/** Runs the crashing terminal and returns what it printed; it must have died of SIGKILL. */
async function crashAt(agent: EnrolledAgent, card: SeededCard, point: string) {
  const child = spawnTracked(process.execPath, [
    CHILD,
    agent.dataDir,
    agent.journalPath,
    registry.service.url,
    card.cardNumber,
    point,
    JSON.stringify(await agentProof(agent, card)),
  ]);
  const output = captureOutput(child);
  await once(child, 'exit');
  assert.equal(child.signalCode, 'SIGKILL', output());
  return output().trim().split('\n');
}

async function lossEvents(cardNumber: string): Promise<number> {
  const history = await registry.operator<{ history: { action: string }[] }>(
    'GET',
    `/v1/cards/${cardNumber}/history`,
  );
  return history.body.history.filter((h) => h.action === 'reportTemporaryLoss').length;
}

async function cardStatus(cardNumber: string): Promise<string> {
  return (await registry.operator<{ status: string }>('GET', `/v1/cards/${cardNumber}`)).body.status;
}

test('a loss report journalled before a crash is sent at restart with the same key and applied once', async () => {
  const agent = await enrolledAgent('KIOSK-CRASH-1');
  const card = await seedActiveCard(registry, { idNumber: citizenId('19750606', '135'), name: '赵六' });
  const [key] = await crashAt(agent, card, 'before-send');
  assert.equal(await cardStatus(card.cardNumber), 'active', 'nothing reached the service before the crash');

  const terminal = await openTerminal(agent);
  try {
    assert.deepEqual(
      terminal.recovered.answered.map((e) => e.idempotencyKey),
      [key],
    );
    assert.equal(terminal.recovered.answered[0]!.answer?.status, 200);
    assert.deepEqual(terminal.recovered.stillPending, []);
    assert.equal(await cardStatus(card.cardNumber), 'temporarily_lost');
    assert.equal(await lossEvents(card.cardNumber), 1);
  } finally {
    await terminal.close();
  }
});

test('a report the service applied before the crash gets the stored answer at restart, not a second effect', async () => {
  const agent = await enrolledAgent('KIOSK-CRASH-2');
  const card = await seedActiveCard(registry, { idNumber: citizenId('19660909', '357'), name: '钱七' });
  const [key, answered] = await crashAt(agent, card, 'after-send');
  assert.equal(answered, 'answered 200');
  assert.equal(await cardStatus(card.cardNumber), 'temporarily_lost');

  const terminal = await openTerminal(agent);
  try {
    const [entry] = terminal.recovered.answered;
    assert.ok(entry?.answer);
    assert.equal(entry.idempotencyKey, key);
    // Had the service acted again it would have refused: the card is no longer active.
    assert.equal(entry.answer.status, 200);
    assert.equal((entry.answer.body as { replayed?: boolean }).replayed, true);
    assert.equal(await lossEvents(card.cardNumber), 1);
  } finally {
    await terminal.close();
  }
});

test('reportTemporaryLoss goes through the journal and a second report is refused by the lifecycle', async () => {
  const agent = await enrolledAgent('KIOSK-LOSS-1');
  const card = await seedActiveCard(registry, { idNumber: citizenId('19880808', '579'), name: '孙八' });
  const terminal = await openTerminal(agent);
  try {
    const result = await terminal.lifecycle.reportTemporaryLoss(
      card.cardNumber,
      await cardProof(terminal.client, card),
    );
    assert.equal(result.status, 'temporarily_lost');
    assert.ok(result.temporaryLossUntil && result.temporaryLossUntil > new Date().toISOString());
    assert.match(result.idempotencyKey, /^KIOSK-LOSS-1:0+1$/);
    const [journalled] = await terminal.outbox.journal.recent(1);
    assert.equal(journalled?.state, 'answered');

    const again = await cardProof(terminal.client, card);
    await assert.rejects(terminal.lifecycle.reportTemporaryLoss(card.cardNumber, again), (e: unknown) => {
      assert.ok(isRegistryError(e, 'REFUSED'));
      assert.equal(e.serviceCode, 'ILLEGAL_TRANSITION');
      return true;
    });
    assert.equal(await lossEvents(card.cardNumber), 1);

    // The registry now refuses the card at identity checks.
    const check = await terminal.checkCard({
      info: { cardIdCode: card.cardIdCode, cardNumber: card.cardNumber, ssn: card.idNumber, name: card.name },
    });
    assert.equal(check.reason, 'CARD_TEMPORARILY_LOST');
  } finally {
    await terminal.close();
  }
});

test('a report the terminal could not deliver stays journalled and is delivered once the service is back', async () => {
  const agent = await enrolledAgent('KIOSK-OFFLINE-1');
  const card = await seedActiveCard(registry, { idNumber: citizenId('19990101', '791'), name: '周九' });
  // The card answered the service's challenge; then the link went down (nothing listens here).
  const proof = await agentProof(agent, card);
  const terminal = await openTerminal(agent, 'https://127.0.0.1:9');
  let key: string | undefined;
  try {
    await assert.rejects(terminal.lifecycle.reportTemporaryLoss(card.cardNumber, proof), (e: unknown) => {
      assert.ok(isRegistryError(e, 'REGISTRY_UNREACHABLE'));
      assert.equal(e.outcomeUnknown, false, 'the connection was refused: the request never left');
      key = e.details?.idempotencyKey as string;
      return true;
    });
  } finally {
    await terminal.close();
  }
  assert.equal(await cardStatus(card.cardNumber), 'active');

  const online = await openTerminal(agent);
  try {
    assert.deepEqual(
      online.recovered.answered.map((e) => e.idempotencyKey),
      [key],
    );
    assert.equal(await cardStatus(card.cardNumber), 'temporarily_lost');
  } finally {
    await online.close();
  }
});

test('a journalled report first delivered after its card proof expired is refused, and the card stays active', async () => {
  const agent = await enrolledAgent('KIOSK-OFFLINE-2');
  const card = await seedActiveCard(registry, { idNumber: citizenId('19990202', '913'), name: '吴十' });
  const proof = await agentProof(agent, card);
  const terminal = await openTerminal(agent, 'https://127.0.0.1:9');
  try {
    await assert.rejects(terminal.lifecycle.reportTemporaryLoss(card.cardNumber, proof), (e: unknown) =>
      isRegistryError(e, 'REGISTRY_UNREACHABLE'),
    );
  } finally {
    await terminal.close();
  }
  // Past the service's challenge lifetime (60 s): the proof no longer says the card is there.
  registry.setClockOffset(61_000);
  try {
    const online = await openTerminal(agent);
    try {
      const [entry] = online.recovered.answered;
      assert.equal(entry?.answer?.status, 403, JSON.stringify(entry?.answer));
      assert.equal((entry.answer.body as { code: string }).code, 'CARD_PRESENCE_FAILED');
    } finally {
      await online.close();
    }
  } finally {
    registry.setClockOffset(0);
  }
  assert.equal(await cardStatus(card.cardNumber), 'active');
});

test('a revoked terminal is told so at start', async () => {
  const agent = await enrolledAgent('KIOSK-REVOKED-1');
  await registry.revoke('KIOSK-REVOKED-1');
  await assert.rejects(openTerminal(agent), (e: unknown) => isRegistryError(e, 'TERMINAL_REVOKED'));
});
