import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard } from '@sscard/card-emulator/cards/index';
import { demoCardDocuments } from '@sscard/card-emulator/cards/personalise';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { Registry, loadConfig, seedFromCardDocuments } from '@sscard/card-service';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import type { CardReadView, LostCardReportView } from '@sscard/terminal-agent/api/card-view';
import type { ClientToServerEvents, ServerToClientEvents } from '@sscard/terminal-agent/api/socket-events';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { createLogger } from '@sscard/log';
import { loadOrEnrol } from '@sscard/terminal-agent/registry/enrolment';
import { sendJson } from '@sscard/terminal-agent/registry/https-json';
import type { RegistryHealth } from '@sscard/terminal-agent/registry/registry-link';
import { type AgentSocket, openAgentPage } from './agent-page.js';
import { type RegistryUnderTest, startRegistry } from './registry-fixture.js';

/**
 * A kiosk agent enrolled with a real card-service (sqlite3, its HSM module holding the issuer keys
 * the virtual cards were personalised with), over a private pcscd: the registry check on every
 * read, the citizen's lost-card report through the outbox, and what revocation does to the agent.
 */
describe('kiosk agent with card-service', () => {
  const TERMINAL = 'K-330300-0007';
  const doc = demoCardDocuments().find((d) => d.card.specVersion === '2.00')!;
  const PIN = doc.pin.value;
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let agent: RunningAgent;
  let slot: VpcdSlot;
  let dataDir: string;
  let token: string;
  let base: string;
  const quiet = createLogger({ level: 'error', write: () => {} });

  function config(enrolmentCode?: string) {
    return AgentConfigSchema.parse({
      terminal: { id: TERMINAL, type: 'kiosk', region: '330300' },
      api: { port: 0, tokenFile: join(dataDir, 'api-token') },
      pin: { entry: 'keypad' },
      cardService: {
        url: registry.service.url,
        caCertPath: registry.caCertPath,
        ...(enrolmentCode ? { enrolmentCode } : {}),
      },
      dataDir,
    });
  }

  before(async () => {
    registry = await startRegistry();
    const lifecycle = loadConfig({ env: {} }).lifecycle;
    const seeded = await seedFromCardDocuments(
      new Registry(registry.service.store, () => new Date(), lifecycle),
      demoCardDocuments() as unknown as Parameters<typeof seedFromCardDocuments>[1],
    );
    assert.equal(seeded.cards, demoCardDocuments().length);
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    dataDir = await tempDir('sscard-kiosk-agent-');
    agent = await startAgent(config(await registry.enrolmentCode(TERMINAL, 'kiosk', '330300')), quiet);
    await agent.registry.ready();
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    base = `http://127.0.0.1:${agent.address.port}`;
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    await waitFor('the vpcd readers', () => agent.readers.list().length === 2);
  });

  after(async () => {
    slot?.close();
    await agent?.stop();
    await pcscd?.stop();
    await registry?.close();
  });

  const userReader = () => agent.readers.list().find((r) => r.role === 'user');

  async function insertCard(): Promise<void> {
    slot.insert(new CardWithFaults(new SsseGen2Card(doc, registry.keyset)));
    await waitFor('the card', () => userReader()?.card);
  }

  async function removeCard(): Promise<void> {
    slot.remove();
    await waitFor('the card to be out', () => !userReader()?.card);
  }

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function health(): Promise<{ status: string; registry: RegistryHealth }> {
    const res = await fetch(`${base}/healthz`);
    return (await res.json()) as { status: string; registry: RegistryHealth };
  }

  /** The kiosk page as a browser opens it. */
  const kioskPage = () => openAgentPage(base);

  /** Challenges this terminal's cards answered and the service then accepted (spent). */
  async function spentChallenges(): Promise<number> {
    const row = await registry.service.store.get<{ n: number }>(
      'SELECT COUNT(*) AS n FROM challenges WHERE terminal_id = ? AND used_at IS NOT NULL',
      [TERMINAL],
    );
    return Number(row?.n ?? 0);
  }

  /** Verifies the PIN on the kiosk page's keypad, so that the agent takes a lost-card report. */
  async function verifyPinOnKeypad(page: AgentSocket): Promise<void> {
    const prompt = next(page, 'pin-required');
    const verified = page.timeout(60_000).emitWithAck('verify-pin');
    assert.equal((await prompt).device, 'keypad');
    await typePin(page, PIN);
    const reply = await verified;
    assert.ok(reply.ok && reply.result.ok, JSON.stringify(reply));
  }

  const next = <E extends keyof ServerToClientEvents>(socket: AgentSocket, event: E) =>
    new Promise<Parameters<ServerToClientEvents[E]>[0]>((resolve) => {
      (socket as unknown as { once(e: string, f: (v: unknown) => void): void }).once(event, (v) =>
        resolve(v as Parameters<ServerToClientEvents[E]>[0]),
      );
    });

  /** Types the PIN on the keypad for the entry the agent has just asked for. */
  async function typePin(socket: AgentSocket, digits: string): Promise<void> {
    for (const d of digits) socket.emit('pin-key', d as Parameters<ClientToServerEvents['pin-key']>[0]);
    socket.emit('pin-key', 'enter');
  }

  it('enrols at first start and reports the enrolment in /healthz', async () => {
    const h = await health();
    assert.equal(h.registry.state, 'connected');
    assert.equal(h.registry.terminalId, TERMINAL);
    assert.equal(h.registry.terminalType, 'kiosk');
    assert.ok(Date.parse(h.registry.certificateNotAfter!) > Date.now());
    assert.equal(h.status, 'ok');
  });

  it('attaches a valid registry check, holder masked, to a REST card read', async () => {
    await insertCard();
    const { status, body } = await api<CardReadView>('POST', '/v1/card/read', {});
    assert.equal(status, 200);
    assert.equal(body.verification?.genuine, true);
    // No PSAM in this terminal: the service's HSM module judged the card's cryptogram.
    assert.ok(body.verification?.passed.includes('card-authentication'));
    assert.equal(body.registry.status, 'valid');
    assert.equal(body.registry.card?.status, 'active');
    assert.equal(body.registry.holder?.name, `${doc.holder.name.slice(0, 1)}*`);
    assert.ok(body.registry.coverage);
    assert.ok(!JSON.stringify(body).includes(doc.holder.ssn), 'the full ID number left the agent');
    // The card answered the service's challenge before it powered off, and the check carried it.
    assert.equal(body.registry.cardPresent, true);
    const audit = await registry.operator<{
      entries: { action: string; terminalId: string; result: string; details: Record<string, unknown> }[];
    }>('GET', '/v1/audit?after=0&limit=1000');
    const check = audit.body.entries
      .filter((e) => e.action === 'identity.check' && e.terminalId === TERMINAL)
      .at(-1);
    assert.deepEqual(
      [check?.result, check?.details.proofCarried, check?.details.cardPresent],
      ['ok', true, true],
      'the service recorded the proof with the check',
    );
  });

  it("reads a generation 3 card's holder data through the service's HSM module, and checks it with the registry", async () => {
    const gen3 = demoCardDocuments().find((d) => d.card.specVersion === '3.00')!;
    await removeCard();
    slot.insert(new CardWithFaults(createCard(gen3, registry.keyset)));
    await waitFor('the generation 3 card', () => userReader()?.card);
    try {
      const { status, body } = await api<CardReadView>('POST', '/v1/card/read', {});
      assert.equal(status, 200);
      assert.equal(body.info.generation, 3);
      // Released by the card after EXTERNAL AUTHENTICATE with the HSM module's cryptogram, and
      // shown masked to a kiosk.
      assert.equal(body.info.ssn, `${gen3.holder.ssn.slice(0, 6)}********${gen3.holder.ssn.slice(-4)}`);
      assert.equal(body.verification?.genuine, true, JSON.stringify(body.verification?.failed));
      assert.equal(body.registry.status, 'valid', JSON.stringify(body.registry));
      assert.equal(body.registry.cardPresent, true, 'an SM4 card proves its presence as well');
      const audit = await registry.operator<{
        entries: { action: string; terminalId: string; result: string }[];
      }>('GET', '/v1/audit?after=0&limit=1000');
      assert.ok(
        audit.body.entries.some(
          (e) => e.action === 'card.externalAuthenticate' && e.terminalId === TERMINAL && e.result === 'ok',
        ),
        'the service audited the cryptogram it gave this terminal',
      );
    } finally {
      await removeCard();
      await insertCard();
    }
  });

  it('refuses a lost-card report before the PIN was verified in this visit', async () => {
    const { status, body } = await api<{ code: string }>('POST', '/v1/card/report-lost', {});
    assert.equal(status, 403);
    assert.equal(body.code, 'PIN_NOT_VERIFIED');
  });

  it("refuses, at card-service, a terminal's lost-card report that comes without the card's proof", async () => {
    // What a terminal without the card could send: this agent's own certificate, a card number.
    const { credentials } = await loadOrEnrol({ serviceUrl: registry.service.url, dataDir });
    const tls = new HttpsAgent({ ca: credentials.caPem, key: credentials.keyPem, cert: credentials.certPem });
    try {
      const answer = await sendJson({
        method: 'POST',
        url: new URL(`/v1/cards/${doc.card.cardNumber}/events`, registry.service.url),
        body: { event: 'reportTemporaryLoss' },
        headers: { 'idempotency-key': `${TERMINAL}:bare-1` },
        agent: tls,
        timeoutMs: 30_000,
      });
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal((answer.body as { code: string }).code, 'CARD_PRESENCE_REQUIRED');
    } finally {
      tls.destroy();
    }
    const card = await registry.operator<{ status: string }>('GET', `/v1/cards/${doc.card.cardNumber}`);
    assert.equal(card.body.status, 'active');
  });

  it('reports the card temporarily lost after a keypad PIN verify, with the card-present proof, and the next read says so', async () => {
    const page = await kioskPage();
    try {
      await verifyPinOnKeypad(page);
      const spentBefore = await spentChallenges();

      const announced = next(page, 'lost-card-report');
      const { status, body } = await api<LostCardReportView>('POST', '/v1/card/report-lost', {});
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.status, 'reported');
      assert.ok(body.status === 'reported' && body.cardStatus === 'temporarily_lost');
      assert.equal(
        body.cardNumber,
        `${doc.card.cardNumber.slice(0, 1)}******${doc.card.cardNumber.slice(-2)}`,
      );
      assert.match(body.reference, new RegExp(`^${TERMINAL}:\\d+$`));
      assert.deepEqual(await announced, body);
      // The read before the report spent two of the service's challenges the card answered: the
      // card-authentication check's and the proof the report carried.
      assert.equal(await spentChallenges(), spentBefore + 2);
    } finally {
      page.close();
    }
    const card = await registry.operator<{ status: string }>('GET', `/v1/cards/${doc.card.cardNumber}`);
    assert.equal(card.body.status, 'temporarily_lost');

    const again = await api<CardReadView>('POST', '/v1/card/read', {});
    assert.equal(again.body.registry.status, 'invalid');
    assert.equal(again.body.registry.reason, 'CARD_TEMPORARILY_LOST');
    assert.equal(again.body.registry.holder, undefined);
  });

  it('an operator reports a card lost without the card; the terminal then reads it as lost', async () => {
    const gen3 = demoCardDocuments().find((d) => d.card.specVersion === '3.00')!;
    const reported = await registry.operator<{ card: { status: string } }>(
      'POST',
      `/v1/cards/${gen3.card.cardNumber}/events`,
      { event: 'reportTemporaryLoss', reason: 'citizen at the counter without the card' },
    );
    assert.equal(reported.status, 200, JSON.stringify(reported.body));
    assert.equal(reported.body.card.status, 'temporarily_lost');
    await removeCard();
    slot.insert(new CardWithFaults(createCard(gen3, registry.keyset)));
    await waitFor('the generation 3 card', () => userReader()?.card);
    try {
      const read = await api<CardReadView>('POST', '/v1/card/read', {});
      assert.equal(read.body.registry.reason, 'CARD_TEMPORARILY_LOST');
    } finally {
      await removeCard();
      await insertCard();
    }
  });

  it('cancels an open keypad entry when the card is removed, so the next one is not busy', async () => {
    const page = await kioskPage();
    try {
      const prompt = next(page, 'pin-required');
      const pending = page.timeout(60_000).emitWithAck('verify-pin');
      await prompt;
      await removeCard();
      const reply = await pending;
      assert.ok(reply.ok);
      assert.equal(reply.result.code, -31);
      await insertCard();
      const second = next(page, 'pin-required');
      const retry = page.timeout(60_000).emitWithAck('verify-pin');
      await second;
      page.emit('pin-key', 'cancel');
      const cancelled = await retry;
      assert.ok(cancelled.ok);
      assert.equal(cancelled.result.code, -31);
    } finally {
      page.close();
    }
  });

  it('cancels an open keypad entry when the last kiosk page goes away', async () => {
    const page = await kioskPage();
    const prompt = next(page, 'pin-required');
    const verify = api<{ code: number }>('POST', '/v1/card/pin/verify');
    await prompt;
    page.close();
    const { status, body } = await verify;
    assert.equal(status, 200);
    assert.equal(body.code, -31);
  });

  it('shows a revoked terminal in /healthz and keeps reading cards locally, also after a restart', async () => {
    await registry.revoke(TERMINAL);
    const first = await api<CardReadView>('POST', '/v1/card/read', {});
    assert.equal(first.status, 200);
    const h = await health();
    assert.equal(h.registry.state, 'revoked');
    assert.equal(h.registry.code, 'TERMINAL_REVOKED');
    assert.match(h.registry.message ?? '', /enrol/);
    assert.equal(h.status, 'degraded');

    const later = await api<CardReadView>('POST', '/v1/card/read', {});
    assert.equal(later.status, 200);
    assert.equal(later.body.verification?.genuine, true);
    assert.equal(later.body.registry.status, 'unavailable');
    assert.equal(later.body.registry.reason, 'TERMINAL_REVOKED');

    // No challenge from the service, so no proof: the agent sends no report at all.
    const page = await kioskPage();
    try {
      await verifyPinOnKeypad(page);
      const report = await api<{ code: string }>('POST', '/v1/card/report-lost', {});
      assert.deepEqual([report.status, report.body.code], [503, 'CARD_PRESENCE_UNPROVEN']);
    } finally {
      page.close();
    }

    await agent.stop();
    agent = await startAgent(config(), quiet);
    await agent.registry.ready();
    base = `http://127.0.0.1:${agent.address.port}`;
    const restarted = await health();
    assert.equal(restarted.registry.state, 'revoked');
    assert.equal(restarted.registry.code, 'TERMINAL_REVOKED');
    await waitFor('the card', () => userReader()?.card);
    const read = await api<CardReadView>('POST', '/v1/card/read', {});
    assert.equal(read.status, 200);
    assert.equal(read.body.registry.status, 'unavailable');
  });
});
