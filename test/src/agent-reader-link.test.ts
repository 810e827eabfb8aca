import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseBerTlv } from '@sscard/card-core';
import { QuirkyReaderSlotCard } from '@sscard/card-emulator/bridge/reader-quirks';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { type Pcscd, startPcscd, waitFor } from '@sscard/test-harness';
import { CardOperations } from '@sscard/terminal-agent/card-operations';
import { ClientConfigSchema } from '@sscard/terminal-agent/config/schema';
import { createReaderManager } from '@sscard/terminal-agent/daemon';
import type { ReaderManager } from '@sscard/terminal-agent/readers/reader-manager';
import { demoCardsByGeneration } from './agent-stack.js';
import { openCardSession } from '@sscard/terminal-agent/session/card-session';

/**
 * Readers whose profiles limit what they carry, emulated in front of the virtual cards behind a
 * real pcscd: the agent's transport (card-core's planCommand and transceive, with the reader's
 * profile) must fit every command and answer to the reader, and the emulated reader records
 * anything it could not carry.
 */
const READERS = ['HD-100 CCID', 'sscard APDU-level reader', 'sscard small-buffer reader'] as const;
const SELECT_SSSE_COMMAND = {
  cla: 0,
  ins: 0xa4,
  p1: 4,
  p2: 0,
  data: Buffer.from('7378312E73682EC9E7BBE1B1A3D5CF', 'hex'),
};
const SELECT_DEBIT = { cla: 0, ins: 0xa4, p1: 4, p2: 0, data: Buffer.from('A000000333010101', 'hex') };

describe('reader quirks decide the transport', () => {
  const profiles = defaultProfiles();
  const keyset = generateKeyset();
  const { gen2, gen3 } = demoCardsByGeneration();
  let pcscd: Pcscd;
  let manager: ReaderManager;
  let ops: CardOperations;
  const slots: VpcdSlot[] = [];
  const cards = new Map<string, QuirkyReaderSlotCard>();

  before(async () => {
    pcscd = await startPcscd({ readers: READERS.length, names: [...READERS] });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    manager = createReaderManager(ClientConfigSchema.parse({}), profiles);
    manager.on('error', () => {});
    manager.start();
    ops = new CardOperations({
      readers: manager,
      profiles,
      terminal: { terminalNumber: '', deviceNumber: '' },
    });
    READERS.forEach((name, i) => {
      const profile = profiles.matchReader(`${name} 00 00`);
      assert.ok(profile, `a profile for ${name}`);
      const card = new QuirkyReaderSlotCard(
        new CardWithFaults(createCard(i === 0 ? gen2 : gen3, keyset)),
        profile.profile.quirks,
      );
      cards.set(name, card);
      const slot = new VpcdSlot({ port: pcscd.vpcdPorts[i * 2]!, backoff: { initialMs: 50, maxMs: 300 } });
      slot.insert(card);
      slots.push(slot);
    });
    await waitFor('the cards in all three readers', () =>
      READERS.every((name) => manager.get(`${name} 00 00`)?.card !== undefined),
    );
  });

  after(async () => {
    for (const slot of slots) slot.close();
    await manager.stop();
    await pcscd.stop();
  });

  it('a short-APDU reader (Huada profile) never gets an extended APDU: a long command is a clear error before it is sent', async () => {
    const reader = `${READERS[0]} 00 00`;
    const quirky = cards.get(READERS[0])!;
    const read = await ops.readCard({ reader });
    assert.equal(read.info.cardNumber, gen2.card.cardNumber);
    const session = await openCardSession(manager, reader);
    try {
      const sentBefore = quirky.fromHost.length;
      await assert.rejects(session.transmit({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: Buffer.alloc(300) }), {
        code: 'LINK_APDU_TOO_LONG',
      });
      assert.equal(quirky.fromHost.length, sentBefore, 'the too-long command reached the reader');
      // An extended Le goes as Le 00; the card's 256-byte limit answers as it would anyway.
      await session.transmit({ cla: 0, ins: 0xb2, p1: 7, p2: 0x2c, le: 1000 });
    } finally {
      await session.close();
    }
    assert.deepEqual(quirky.refusals, []);
    assert.ok(quirky.fromHost.every((hex) => hex.length <= 261 * 2));
  });

  it('an APDU-level reader fetches 61xx data itself: the host sends no GET RESPONSE', async () => {
    const reader = `${READERS[1]} 00 00`;
    const quirky = cards.get(READERS[1])!;
    const session = await openCardSession(manager, reader);
    try {
      const fci = await session.transmit(SELECT_SSSE_COMMAND);
      assert.equal(fci.sw, 0x9000);
      assert.equal(fci.data[0], 0x6f);
    } finally {
      await session.close();
    }
    assert.ok(quirky.toCard.includes('00C000001E'), 'the reader fetched the FCI');
    assert.equal(
      quirky.fromHost.some((hex) => hex.startsWith('00C0')),
      false,
      'the host sent GET RESPONSE',
    );
    const read = await ops.readCard({ reader });
    assert.equal(read.info.cardNumber, gen3.card.cardNumber);
    assert.deepEqual(quirky.refusals, []);

    // A card that never stops announcing data: the reader gives up and passes its 61xx on; the
    // host, whose reader does GET RESPONSE, hands it up instead of chasing it.
    (quirky.inner as CardWithFaults).fault = { kind: 'endless-61xx' };
    const chased = await openCardSession(manager, reader);
    try {
      const sent = quirky.fromHost.length;
      const answer = await chased.transmit(SELECT_SSSE_COMMAND);
      assert.equal(answer.sw, 0x61ff);
      assert.equal(quirky.fromHost.length, sent + 1);
    } finally {
      (quirky.inner as CardWithFaults).fault = { kind: 'none' };
      await chased.close();
    }
  });

  it('a reader with a 64-byte response buffer gets a long answer in GET RESPONSE parts that fit it', async () => {
    const reader = `${READERS[2]} 00 00`;
    const quirky = cards.get(READERS[2])!;
    const session = await openCardSession(manager, reader);
    try {
      assert.equal((await session.transmit(SELECT_DEBIT)).sw, 0x9000);
      // DDA: the signed dynamic data are as long as the ICC key, twice the reader's buffer.
      const dda = await session.transmit({
        cla: 0,
        ins: 0x88,
        p1: 0,
        p2: 0,
        data: Buffer.from('11223344', 'hex'),
      });
      assert.equal(dda.sw, 0x9000);
      const signature = parseBerTlv(dda.data)[0]!;
      assert.equal(signature.tag, 0x80);
      assert.ok(dda.data.length > 64, `${dda.data.length} bytes`);
    } finally {
      await session.close();
    }
    const getResponses = quirky.fromHost.filter((hex) => hex.startsWith('00C00000'));
    assert.ok(getResponses.length >= 2);
    for (const hex of getResponses) assert.ok(Number.parseInt(hex.slice(8, 10), 16) <= 64, hex);
    assert.deepEqual(quirky.refusals, []);
  });
});
