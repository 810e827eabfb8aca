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

describe('agent with two readers', () => {
  let stack: AgentStack;
  const slots: VpcdSlot[] = [];
  const keyset = generateKeyset();
  const doc = demoCardDocuments().find((d) => d.card.specVersion === '2.00')!;
  const newCard = () => new CardWithFaults(new SsseGen2Card(doc, keyset));
  const cardIn = (name: string) => stack.manager.list().find((r) => r.name === name)?.card;

  before(async () => {
    stack = await startAgentStack({ readers: 2 });
    for (const port of stack.pcscd.vpcdPorts)
      slots.push(new VpcdSlot({ port, backoff: { initialMs: 50, maxMs: 300 } }));
  });
  after(async () => {
    for (const slot of slots) slot.close();
    await stack.stop();
  });

  it('takes the only card without a reader name, then asks which card once a second reader holds one', async () => {
    const [first, , second] = stack.pcscd.readerNames;
    await waitFor('four slots listed', () => stack.manager.list().length === 4);
    slots[0]!.insert(newCard());
    await waitFor('the card in the first reader', () => cardIn(first!));
    const only = await openCardSession(stack.manager);
    assert.equal(only.reader, first);
    await only.close();

    slots[2]!.insert(newCard());
    await waitFor('the card in the second reader', () => cardIn(second!));
    assert.ok(
      stack.events.some(
        (e) => e.name === 'card-inserted' && (e.payload as { reader: string }).reader === second,
      ),
      'the later insertion is announced for the second reader',
    );
    await assert.rejects(
      openCardSession(stack.manager),
      (e) => e instanceof ReaderError && e.code === 'ReaderAmbiguous',
    );
    const chosen = await openCardSession(stack.manager, second);
    assert.equal(chosen.reader, second);
    await chosen.close();
  });

  it('serves two readers at once, each held by its own session', async () => {
    const [first, , second] = stack.pcscd.readerNames;
    const a = await openCardSession(stack.manager, first);
    const b = await openCardSession(stack.manager, second);
    try {
      const select = {
        cla: 0x00,
        ins: 0xa4,
        p1: 0x04,
        p2: 0x00,
        data: Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex'),
      };
      const [ra, rb] = await Promise.all([a.transmit(select), b.transmit(select)]);
      assert.ok(ra.sw >> 8 === 0x90 || ra.sw >> 8 === 0x61);
      assert.ok(rb.sw >> 8 === 0x90 || rb.sw >> 8 === 0x61);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
