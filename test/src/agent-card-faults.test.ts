import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { waitFor } from '@sscard/test-harness';
import { CardOperations } from '@sscard/terminal-agent/card-operations';
import { ReaderError } from '@sscard/terminal-agent/readers/errors';
import { type AgentStack, demoCardsByGeneration, startAgentStack } from './agent-stack.js';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';

const isReaderError = (code: string) => (e: unknown) => e instanceof ReaderError && e.code === code;

describe('card faults seen through the agent', () => {
  let stack: AgentStack;
  let user: VpcdSlot;
  let ops: CardOperations;
  const keyset = generateKeyset();
  const { gen2 } = demoCardsByGeneration();
  const hasCard = () => stack.manager.get(stack.userReader())?.card !== undefined;

  async function insert(): Promise<CardWithFaults> {
    const card = new CardWithFaults(createCard(gen2, keyset));
    user.insert(card);
    await waitFor('the card seen', hasCard);
    return card;
  }

  async function remove(): Promise<void> {
    user.remove();
    await waitFor('the card gone', () => !hasCard());
  }

  before(async () => {
    // No PSAM slot: these tests are about the citizen's card and its reader.
    stack = await startAgentStack({ readers: 1, psamSlot: false });
    user = new VpcdSlot({ port: stack.pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    ops = new CardOperations({
      readers: stack.manager,
      terminal: { terminalNumber: '410100813475', deviceNumber: 'DEV0001' },
    });
  });
  after(async () => {
    user.close();
    await stack.stop();
  });

  it('answers CardMute for a card that stops answering, and the reader serves the next card', async () => {
    const card = await insert();
    card.fault = { kind: 'mute' };
    await assert.rejects(ops.readCard({ reader: stack.userReader() }), isReaderError('CardMute'));
    // The stuck command still holds the reader: the next caller is told so at once, not queued.
    await assert.rejects(ops.readCard({ reader: stack.userReader() }), isReaderError('CardMute'));
    assert.equal((await ops.readCardBas(1)).code, -4);
    assert.equal(stack.manager.list().length, 2, 'both slots still listed');

    await remove();
    await insert();
    const result = await ops.readCard({ verify: false });
    assert.equal(result.info.cardNumber, gen2.card.cardNumber);
  });

  it('leaves nothing connected when the card is pulled right after a read: the next read says no card', async () => {
    if (!hasCard()) await insert();
    const read = await ops.readCard({ verify: false });
    assert.equal(read.info.cardNumber, gen2.card.cardNumber);
    user.remove();
    // Straight away, before the agent has necessarily seen the removal: no stale handle answers.
    const bas = await ops.readCardBas(1);
    assert.equal(bas.code, -2);
    await waitFor('the card gone', () => !hasCard());
    await assert.rejects(ops.readCard(), isReaderError('NoCard'));
    const session = await insert().then(() => openCardSession(stack.manager, stack.userReader()));
    await session.close();
    assert.equal(session.open, false);
  });
});
