import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseAtr } from '@sscard/card-core';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { ContactlessInterface } from '@sscard/card-emulator/cards/contactless';
import { createCard, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { type Pcscd, startPcscd, waitFor } from '@sscard/test-harness';
import { CardOperations } from '@sscard/terminal-agent/card-operations';
import { ClientConfigSchema } from '@sscard/terminal-agent/config/schema';
import { createReaderManager } from '@sscard/terminal-agent/daemon';
import type { ReaderManager, ReaderManagerEvents } from '@sscard/terminal-agent/readers/reader-manager';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';
import { demoCardsByGeneration } from './agent-stack.js';

/**
 * A dual-interface (generation 3) card in the emulated dual-interface reader behind a real
 * pcscd: slot 00 its contacts, slot 01 the antenna, where the reader shows the PC/SC part 3 ATR.
 */
describe('contactless and dual-interface cards', () => {
  const profiles = defaultProfiles();
  const keyset = generateKeyset();
  const { gen3 } = demoCardsByGeneration();
  const chip = createCard(gen3, keyset);
  let pcscd: Pcscd;
  let manager: ReaderManager;
  let ops: CardOperations;
  let contact: VpcdSlot;
  let antenna: VpcdSlot;
  let contactReader: string;
  let contactlessReader: string;
  const events: { name: keyof ReaderManagerEvents; reader: string }[] = [];

  before(async () => {
    pcscd = await startPcscd({ readers: 1, names: ['sscard dual-interface reader'] });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    [contactReader, contactlessReader] = pcscd.readerNames as [string, string];
    manager = createReaderManager(ClientConfigSchema.parse({}), profiles);
    manager.on('error', () => {});
    manager.on('card-inserted', (e) => events.push({ name: 'card-inserted', reader: e.reader }));
    manager.on('card-removed', (e) => events.push({ name: 'card-removed', reader: e.reader }));
    manager.start();
    ops = new CardOperations({
      readers: manager,
      profiles,
      terminal: { terminalNumber: '', deviceNumber: '' },
    });
    contact = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    antenna = new VpcdSlot({ port: pcscd.vpcdPorts[1]!, backoff: { initialMs: 50, maxMs: 300 } });
    await waitFor('both slots', () => manager.list().length === 2);
  });

  after(async () => {
    contact.close();
    antenna.close();
    await manager.stop();
    await pcscd.stop();
  });

  it('shows the card in the contactless slot with the ATR a reader builds for it, the card OS recognised', async () => {
    antenna.insert(new CardWithFaults(new ContactlessInterface(chip, chip.profile)));
    await waitFor('the card in the field', () => manager.get(contactlessReader)?.card !== undefined);
    const state = manager.get(contactlessReader)!;
    assert.equal(state.role, 'contactless');
    assert.equal(state.card?.cardOs, 'sscard-ssse-gen3');
    const atr = Buffer.from(state.card!.atr, 'hex');
    assert.deepEqual(atr.subarray(0, 4), Buffer.from('3B8D8001', 'hex'));
    assert.deepEqual(parseAtr(atr).historical, parseAtr(chip.atr).historical);
  });

  it('reads and verifies through the antenna what the contactless interface allows: card data, never holder data or a PIN', async () => {
    const read = await ops.readCard({ roles: ['contactless'] });
    assert.equal(read.reader, contactlessReader);
    assert.equal(read.info.cardNumber, gen3.card.cardNumber);
    assert.equal(read.info.cardIdCode, gen3.card.cardIdCode);
    assert.equal(read.info.ssn, '');
    assert.equal(read.info.name, '');
    assert.ok(read.verification?.passed.includes('region-consistency'));
    assert.deepEqual(read.verification?.failed, []);

    const session = await openCardSession(manager, contactlessReader);
    try {
      await session.transmit({
        cla: 0,
        ins: 0xa4,
        p1: 4,
        p2: 0,
        data: Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex'),
      });
      const verify = await session.transmit({
        cla: 0,
        ins: 0x20,
        p1: 0,
        p2: 0,
        data: Buffer.from(gen3.pin.value, 'hex'),
      });
      assert.equal(verify.sw, 0x6985);
    } finally {
      await session.close();
    }
  });

  it('offers a dual-interface card once when it is at the contacts and in the field of one reader', async () => {
    events.length = 0;
    contact.insert(new CardWithFaults(chip));
    await waitFor('the card at the contacts', () => manager.get(contactReader)?.card !== undefined);
    assert.equal(manager.get(contactlessReader)?.card, undefined);
    assert.deepEqual(
      manager
        .list()
        .filter((r) => r.card)
        .map((r) => r.name),
      [contactReader],
    );
    assert.ok(events.some((e) => e.name === 'card-removed' && e.reader === contactlessReader));
    // iType 3 (contact first, then contactless): one card, not ambiguous.
    const read = await ops.readCard({ roles: ['user', 'contactless'] });
    assert.equal(read.reader, contactReader);

    events.length = 0;
    contact.remove();
    await waitFor('the card offered through the antenna again', () =>
      events.some((e) => e.name === 'card-inserted' && e.reader === contactlessReader),
    );
    assert.ok(manager.get(contactlessReader)?.card);
  });
});
