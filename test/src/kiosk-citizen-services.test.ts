/**
 * The citizen's services a kiosk agent offers its own page: the PIN typed on the on-screen keypad,
 * then in one card session VERIFY and the card's payment proof over card-service's challenge, and
 * the service's answer — the holder's pension and medical account, or the annual certification.
 * Real parts: card-service with its HSM process, the kiosk agent enrolled with it, a private
 * pcscd with vpcd and the emulated card.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KeypadKey } from '@sscard/agent-protocol';
import { maskCardNumber } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { type CardDocument, createCard } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { runPensionMonth } from '@sscard/card-service/pension/monthly-run';
import { type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { type AgentSocket, openAgentPage } from './agent-page.js';
import { quietLog } from './kiosk-fixture.js';
import {
  type RegistryUnderTest,
  type SeededCard,
  citizenId,
  seedActiveCard,
  startRegistry,
} from './registry-fixture.js';

const PIN = '582047';
const MONTHLY = 286_000;

describe('citizen services through a kiosk agent', () => {
  const TERMINAL = 'K-330300-0077';
  let registry: RegistryUnderTest;
  let pcscd: Pcscd;
  let agent: RunningAgent;
  let slot: VpcdSlot;
  let page: AgentSocket;
  let seeded: SeededCard;
  let dataDir: string;

  before(async () => {
    registry = await startRegistry();
    seeded = await seedActiveCard(registry, { idNumber: citizenId('19540612', '027'), name: '周桂芳' });
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const granted = await registry.operator('POST', '/v1/pensions/entitlements', {
      personNo: seeded.personNo,
      monthlyAmount: MONTHLY,
      firstMonth: month,
      payingRegion: '330300',
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    await runPensionMonth(registry.service.store, () => new Date(), { month, region: '330300' });
    const credited = await registry.operator('POST', `/v1/holders/${seeded.personNo}/account-credits`, {
      amount: 123_450,
      reference: `payroll-${seeded.personNo}`,
    });
    assert.equal(credited.status, 200, JSON.stringify(credited.body));

    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    dataDir = await tempDir('sscard-kiosk-services-');
    agent = await startAgent(
      AgentConfigSchema.parse({
        terminal: { id: TERMINAL, type: 'kiosk', region: '330300' },
        api: { port: 0, tokenFile: join(dataDir, 'api-token') },
        pin: { entry: 'keypad' },
        cardService: await registry.agentCardService(TERMINAL, 'kiosk', '330300'),
        dataDir,
      }),
      quietLog,
    );
    await agent.registry.ready();
    slot = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    const doc = { ...(seeded.document as CardDocument) };
    doc.pin = { value: PIN, triesLeft: 3 };
    slot.insert(new CardWithFaults(createCard(doc, registry.keyset)));
    await waitFor('the card', () => agent.readers.list().find((r) => r.role === 'user')?.card);
    page = await openAgentPage(`http://127.0.0.1:${agent.address.port}`);
  });

  after(async () => {
    page?.close();
    slot?.close();
    await agent?.stop();
    await pcscd?.stop();
    await registry?.close();
  });

  /** Types `digits` on the keypad when the agent asks for the PIN, then confirms. */
  function typeWhenAsked(digits: string): void {
    page.once('pin-required', () => {
      for (const d of digits) page.emit('pin-key', d as KeypadKey);
      page.emit('pin-key', 'enter');
    });
  }

  it('answers a wrong PIN with the tries left and nothing of the holder', async () => {
    typeWhenAsked('000000');
    const reply = await page.timeout(60_000).emitWithAck('citizen-summary', {});
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.equal(reply.result.pin.ok, false);
    assert.equal(reply.result.pin.triesLeft, 2);
    assert.equal(reply.result.summary, null);
  });

  it('shows the holder their pension and medical account after the PIN, the card number masked', async () => {
    typeWhenAsked(PIN);
    const reply = await page.timeout(60_000).emitWithAck('citizen-summary', {});
    assert.ok(reply.ok, JSON.stringify(reply));
    const { pin, summary } = reply.result;
    assert.equal(pin.ok, true);
    assert.ok(summary);
    assert.equal(summary.cardNumber, maskCardNumber(seeded.cardNumber));
    assert.equal(summary.pension?.monthlyAmount, MONTHLY);
    assert.equal(summary.pension?.yearTotal, MONTHLY);
    assert.equal(summary.pension?.payments.length, 1);
    assert.equal(summary.medical.balance, 123_450);
    assert.equal(summary.medical.months.length, 12);
  });

  it('certifies the pension with the card and its PIN, and the service records a kiosk certification', async () => {
    typeWhenAsked(PIN);
    const reply = await page.timeout(60_000).emitWithAck('certify-pension', {});
    assert.ok(reply.ok, JSON.stringify(reply));
    const { certification } = reply.result;
    assert.equal(certification?.status, 'certified');
    assert.ok(certification?.status === 'certified');
    assert.match(certification.reference, new RegExp(`^${TERMINAL}:`));
    const listed = await registry.operator<{ certifications: { method: string; validUntil: string }[] }>(
      'GET',
      `/v1/pensions/entitlements/${seeded.personNo}/certifications`,
    );
    assert.deepEqual(
      listed.body.certifications.map((c) => [c.method, c.validUntil]),
      [['kiosk', certification.validUntil]],
    );
  });

  it('keeps refusing at a kiosk what only a bank counter may do', async () => {
    const apiToken = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    const res = await fetch(`http://127.0.0.1:${agent.address.port}/v1/card/debit/withdrawal`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 100 }),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'TERMINAL_TYPE_FORBIDDEN');
  });
});
