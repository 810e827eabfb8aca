import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { generateKeyset } from '@sscard/card-emulator/cards/keyset';
import { demoCardDocuments } from '@sscard/card-emulator/cards/personalise';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { waitFor } from '@sscard/test-harness';
import { ReaderError } from '@sscard/terminal-agent/readers/errors';
import { type AgentStack, startAgentStack } from './agent-stack.js';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';

const SELECT_SSSE = {
  cla: 0x00,
  ins: 0xa4,
  p1: 0x04,
  p2: 0x00,
  data: Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex'),
};

describe('agent readers over a real pcscd', () => {
  let stack: AgentStack;
  let slot0: VpcdSlot;
  const keyset = generateKeyset();
  const doc = demoCardDocuments().find((d) => d.card.specVersion === '2.00')!;
  const newCard = () => new CardWithFaults(new SsseGen2Card(doc, keyset));
  // pcscd numbers readers in the order it loads their configuration, which is not the file order,
  // so a reader is found by its friendly name and slot rather than by the full name.
  const readerNamed = (friendly: string, slot: string) =>
    stack.manager
      .list()
      .find(
        (r) =>
          r.name.startsWith(`${friendly} `) &&
          !r.name.slice(friendly.length + 1).includes('#') &&
          r.name.endsWith(` ${slot}`),
      )?.name;
  const reader0 = () => readerNamed('Virtual PCD', '00') ?? stack.pcscd.readerNames[0]!;
  const hasCard = (name: string) => stack.manager.list().find((r) => r.name === name)?.card;

  before(async () => {
    stack = await startAgentStack({ readers: 1 });
    slot0 = new VpcdSlot({ port: stack.pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
  });
  after(async () => {
    slot0.close();
    await stack.stop();
  });

  it('lists both vpcd slots with their roles and announces an inserted card with its ATR', async () => {
    await waitFor('both slots listed', () => stack.manager.list().length === 2);
    const card = newCard();
    slot0.insert(card);
    const state = await waitFor('the card in slot 0', () => hasCard(reader0()));
    assert.equal(state.atr, card.atr.toString('hex').toUpperCase());
    assert.deepEqual(
      stack.manager.list().map((r) => r.role),
      ['user', 'psam'],
    );
    const inserted = stack.events.filter((e) => e.name === 'card-inserted');
    assert.equal(inserted.length, 1, 'one insertion, one event');
  });

  it('holds the card exclusively and counts the APDUs of a session', async () => {
    const session = await openCardSession(stack.manager);
    try {
      const res = await session.transmit(SELECT_SSSE);
      assert.ok(res.sw === 0x9000 || res.sw >> 8 === 0x61);
      assert.ok(session.apduCount >= 1);
    } finally {
      await session.close();
    }
    await assert.rejects(
      session.transmit(SELECT_SSSE),
      (e) => e instanceof ReaderError && e.code === 'SessionClosed',
    );
  });

  it('ends a session with CardRemoved when the card is pulled while a command is on its way', async () => {
    const card = slot0.card as CardWithFaults;
    const session = await openCardSession(stack.manager, reader0());
    card.fault = { kind: 'slow', delayMs: 4_000 };
    const pending = session.transmit(SELECT_SSSE);
    // Pull the card only once the command is with the card: the slot has a command in flight.
    await new Promise((resolve) => setImmediate(resolve));
    slot0.remove();
    await assert.rejects(pending, (e) => e instanceof ReaderError && e.code === 'CardRemoved');
    assert.equal(session.open, false, 'no stale connected session');
    await waitFor('the removal reported', () => !hasCard(reader0()));
    await assert.rejects(
      openCardSession(stack.manager, reader0()),
      (e) => e instanceof ReaderError && e.code === 'NoCard',
    );
    card.fault = { kind: 'none' };
  });

  it('gives typed errors for garbage, huge and endless 61xx answers and stays up for the next card', async () => {
    const card = newCard();
    slot0.insert(card);
    await waitFor('the card back', () => hasCard(reader0()));
    for (const kind of ['garbage', 'garbage', 'garbage', 'endless-61xx', 'huge-length'] as const) {
      card.fault = { kind };
      const session = await openCardSession(stack.manager, reader0());
      try {
        await assert.rejects(session.transmit(SELECT_SSSE), (e) => {
          assert.ok(e instanceof Error && 'code' in e, `a typed error for ${kind}, got ${String(e)}`);
          return true;
        });
      } finally {
        card.fault = { kind: 'none' };
        await session.close();
      }
    }
    const session = await openCardSession(stack.manager, reader0());
    try {
      const res = await session.transmit(SELECT_SSSE);
      assert.ok(res.sw === 0x9000 || res.sw >> 8 === 0x61);
    } finally {
      await session.close();
    }
  });

  it('recovers when pcscd is killed and restarted, and sees the card again', async () => {
    const errorsBefore = stack.events.filter((e) => e.name === 'error').length;
    await stack.pcscd.kill();
    await waitFor(
      'the outage reported',
      () => stack.events.filter((e) => e.name === 'error').length > errorsBefore,
    );
    assert.equal(stack.manager.list().length, 0, 'no reader is claimed while pcscd is down');
    const outage = stack.events.filter((e) => e.name === 'error').at(-1)!.payload as ReaderError;
    assert.equal(outage.code, 'ServiceUnavailable');
    await stack.pcscd.restart();
    await waitFor('the card seen again after the restart', () => hasCard(reader0()), 20_000);
    const session = await openCardSession(stack.manager);
    try {
      const res = await session.transmit(SELECT_SSSE);
      assert.ok(res.sw === 0x9000 || res.sw >> 8 === 0x61);
    } finally {
      await session.close();
    }
  });
});
