import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { generateKeyset } from '@sscard/card-emulator/cards/keyset';
import { demoCardDocuments } from '@sscard/card-emulator/cards/personalise';
import { SsseGen2Card } from '@sscard/card-emulator/cards/ssse/ssse-card';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { waitFor } from '@sscard/test-harness';
import { type AgentStack, startAgentStack } from './agent-stack.js';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';

describe('a reader plugged in while the agent runs', () => {
  let stack: AgentStack;
  const slots: VpcdSlot[] = [];

  before(async () => {
    stack = await startAgentStack({ readers: 1 });
  });
  after(async () => {
    for (const slot of slots) slot.close();
    await stack.stop();
  });

  it('announces the new reader and reads a card in it without an agent restart', async () => {
    await waitFor('the first reader', () => stack.manager.list().length === 2);
    // Debian's pcscd re-reads its serial reader configuration only when it starts, so a new vpcd
    // reader arrives with a daemon restart; the agent sees the service go and come back with one
    // reader more, as after a USB re-enumeration.
    await stack.pcscd.restart({ readers: 2 });
    const added = stack.pcscd.readerNames[2]!;
    await waitFor('the new reader in the list', () => stack.manager.list().some((r) => r.name === added));
    assert.ok(
      stack.events.some(
        (e) => e.name === 'reader-added' && (e.payload as { name?: string }).name === added,
      ) || stack.events.some((e) => e.name === 'reader-added' && JSON.stringify(e.payload).includes(added)),
      'a reader-added event names the new reader',
    );
    const keyset = generateKeyset();
    const doc = demoCardDocuments().find((d) => d.card.specVersion === '2.00')!;
    const slot = new VpcdSlot({ port: stack.pcscd.vpcdPorts[2]!, backoff: { initialMs: 50, maxMs: 300 } });
    slots.push(slot);
    slot.insert(new CardWithFaults(new SsseGen2Card(doc, keyset)));
    await waitFor(
      'the card in the new reader',
      () => stack.manager.list().find((r) => r.name === added)?.card,
    );
    const session = await openCardSession(stack.manager, added);
    try {
      const answer = await session.transmit({
        cla: 0x00,
        ins: 0xa4,
        p1: 0x04,
        p2: 0x00,
        data: Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex'),
      });
      assert.ok(answer.sw === 0x9000 || answer.sw >> 8 === 0x61);
    } finally {
      await session.close();
    }
  });
});
