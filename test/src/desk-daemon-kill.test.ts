import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  ClientToServerEvents,
  DeskDayView,
  DeskPendingView,
  DeskReconciliationView,
} from '@sscard/agent-protocol';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, parseCardDocument } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import type { Quote, Visit } from '@sscard/registry-protocol/settlement';
import {
  type Pcscd,
  type Postgres,
  captureOutput,
  freePort,
  repoRoot,
  run,
  spawnTracked,
  startPcscd,
  startPostgres,
  tempDir,
  waitFor,
} from '@sscard/test-harness';
import { OutboxJournal } from '@sscard/terminal-agent/registry/journal';
import { openAgentPage } from './agent-page.js';
import { assignDesk, deskBill, insuredCard, ledgerBalances, setUpDeskWorld } from './desk-fixture.js';
import { type RegistryUnderTest, type SeededCard, startRegistry } from './registry-fixture.js';

/**
 * The real desk agent (`sscard agent`, a process of its own) killed with SIGKILL while its settle is
 * at card-service, which then commits it: the agent never recorded the answer. Started again on its
 * journal, it resolves the attempt by the service's attempt status: exactly one settlement, in its
 * day's list, reconciled, nothing pending, the ledger balanced. The settle is held at the service
 * by a lock the test takes on PostgreSQL, so the kill lands while the request is there.
 */
describe('the desk agent killed while card-service holds its settle', () => {
  const DESK = 'H-330300-0301';
  let postgres: Postgres;
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let slot: VpcdSlot;
  let patient: SeededCard;
  let dataDir: string;
  let configFile: string;
  let base: string;
  let daemon: ChildProcess | undefined;

  const sql = (statement: string) => run('psql', [postgres.url, '-At', '-c', statement]);

  async function startDaemon(): Promise<void> {
    const child = spawnTracked(
      process.execPath,
      [join(repoRoot, 'terminal-agent', 'dist', 'cli.js'), 'agent', '--config', configFile],
      { env: { ...process.env, PCSCLITE_CSOCK_NAME: pcscd.env.PCSCLITE_CSOCK_NAME } },
    );
    daemon = child;
    const output = captureOutput(child);
    await waitFor('the agent and its card-service link', async () => {
      if (child.exitCode !== null) throw new Error(`the agent ended: ${output()}`);
      const health = await fetch(`${base}/healthz`)
        .then((r) => r.json() as Promise<{ registry: { state: string }; readers: number }>)
        .catch(() => undefined);
      return health?.registry.state === 'connected' && health.readers === 2;
    });
  }

  before(async () => {
    postgres = await startPostgres();
    registry = await startRegistry({}, { databaseUrl: postgres.url });
    await setUpDeskWorld(registry);
    patient = await insuredCard(registry, 20000);
    pcscd = await startPcscd({ readers: 1 });
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    dataDir = await tempDir('sscard-desk-daemon-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    configFile = join(dataDir, 'agent.json');
    await writeFile(
      configFile,
      JSON.stringify({
        terminal: { id: DESK, type: 'hospital', region: '330300' },
        api: { port, tokenFile: join(dataDir, 'api-token') },
        pin: { entry: 'keypad' },
        cardService: await registry.agentCardService(DESK, 'hospital'),
        log: { level: 'warn' },
        dataDir,
      }),
    );
    await startDaemon();
    await assignDesk(registry, DESK);
  });

  after(async () => {
    daemon?.kill('SIGKILL');
    slot?.close();
    await pcscd?.stop();
    await registry?.close();
    await postgres?.stop();
  });

  async function api<T>(method: string, path: string, body?: unknown) {
    const token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  it('exactly one settlement after SIGKILL and restart, found by the attempt status', async () => {
    slot.insert(new CardWithFaults(createCard(parseCardDocument(patient.document), registry.keyset)));
    await waitFor('the card', async () => {
      const readers = await api<{ readers: { role: string; card?: unknown }[] }>('GET', '/v1/readers');
      return readers.body.readers.some((r) => r.role === 'user' && r.card);
    });
    const visit = await api<Visit>('POST', '/v1/settlement/visits', {
      scheme: '310',
      visitType: 'outpatient',
      hisVisitNo: 'MZ-KILL-1',
    });
    assert.equal(visit.status, 200, JSON.stringify(visit.body));
    await api('POST', `/v1/settlement/visits/${visit.body.visitId}/lines`, {
      lines: deskBill('outpatient-bill.json'),
    });
    const quote = await api<Quote>('POST', `/v1/settlement/visits/${visit.body.visitId}/pre-settle`, {
      useAccount: true,
    });
    assert.equal(quote.status, 200, JSON.stringify(quote.body));

    // The desk screen types the PIN.
    const screen = await openAgentPage(base);
    // A session holds the settlement attempts' table: the settle will wait at the service.
    const locker = spawnTracked('psql', [postgres.url, '-At'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lockerOutput = captureOutput(locker);
    locker.stdin!.write("BEGIN; LOCK TABLE settlement_attempts IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n");
    await waitFor('the lock', () => lockerOutput().includes('locked'));
    try {
      const asked = new Promise<void>((resolve) => screen.once('pin-required', () => resolve()));
      const settling = api('POST', '/v1/settlement/settle', { quoteId: quote.body.quoteId }).catch(
        (e: unknown) => e,
      );
      await asked;
      for (const d of (patient.document as { pin: { value: string } }).pin.value)
        screen.emit('pin-key', d as Parameters<ClientToServerEvents['pin-key']>[0]);
      screen.emit('pin-key', 'enter');
      await waitFor(
        'the settle waiting at the service',
        async () =>
          Number(
            await sql(
              "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%settlement_attempts%'",
            ),
          ) > 0,
        30_000,
        200,
      );
      screen.close();
      daemon!.kill('SIGKILL');
      await once(daemon!, 'exit');
      assert.ok((await settling) instanceof Error, 'the agent died before it answered');
    } finally {
      locker.stdin!.end('COMMIT;\n');
      await once(locker, 'exit');
    }

    // The agent wrote the settle before it sent it, and never learnt the answer.
    const journal = await OutboxJournal.open(join(dataDir, 'journal.sqlite3'), { terminalId: DESK });
    const [pending] = (await journal.pending()).filter((e) => e.operation === 'settlement.settle');
    await journal.close();
    assert.ok(pending, 'the settle is pending in the journal');
    const key = pending.idempotencyKey;
    await waitFor(
      'the service to commit the settle',
      async () =>
        (
          await sql(
            `SELECT count(*) FROM settlement_attempts WHERE attempt_key = '${key}' AND settlement_id IS NOT NULL`,
          )
        ).trim() === '1',
      30_000,
      200,
    );

    await startDaemon();
    const left = await api<DeskPendingView>('GET', '/v1/settlement/pending');
    assert.deepEqual(left.body.items, []);
    const date = (await sql(`SELECT business_date FROM settlements WHERE attempt_key = '${key}'`)).trim();
    const day = await api<DeskDayView>('GET', `/v1/settlement/day?date=${date}`);
    assert.deepEqual(
      day.body.settlements.map((s) => [
        s.attemptKey,
        s.settlement.status,
        s.settlement.breakdown.medfee_sumamt,
      ]),
      [[key, 'settled', 55290]],
    );
    const r = await api<DeskReconciliationView>('GET', `/v1/settlement/reconciliation?date=${date}`);
    assert.equal(r.body.balanced, true, JSON.stringify(r.body.mismatches));
    assert.equal(r.body.service.settled.count, 1);
    assert.ok(await ledgerBalances(registry));
  });
});
