/**
 * The agent's serial reader backend against the emulated serial reader firmware on real socat
 * pseudo-terminals, beside PC/SC readers on the harness pcscd (vpcd). One serial reader per framing
 * profile; the PSAM sits in vpcd's second slot, as in the other agent tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VpcdSlot } from '@sscard/card-emulator/bridge/vpcd-client';
import { createCard, createPsam, generateKeyset } from '@sscard/card-emulator/cards/index';
import { CardWithFaults } from '@sscard/card-emulator/faults';
import { SerialReaderFirmware } from '@sscard/card-emulator/serial/index';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { type Pcscd, type PtyPair, startPcscd, startPtyPair, waitFor } from '@sscard/test-harness';
import { CardOperations, type ReadCardResult } from '@sscard/terminal-agent/card-operations';
import { ReaderError } from '@sscard/terminal-agent/readers/errors';
import { PcscBackend } from '@sscard/terminal-agent/readers/pcsc-backend';
import { type ReaderManagerEvents, ReaderManager } from '@sscard/terminal-agent/readers/reader-manager';
import { SerialBackend } from '@sscard/terminal-agent/readers/serial-backend';
import { caKeysOf, demoCardsByGeneration } from './agent-stack.js';

interface SerialRig {
  /** The reader's name in the agent's `readers.serial` configuration. */
  name: string;
  pair: PtyPair;
  firmware: SerialReaderFirmware;
}

type Recorded = { name: keyof ReaderManagerEvents; payload: unknown };

describe('the agent reading cards through serial readers', () => {
  const profiles = defaultProfiles();
  const keyset = generateKeyset();
  const { gen2, gen3 } = demoCardsByGeneration();
  let pcscd: Pcscd;
  let user: VpcdSlot;
  let psam: VpcdSlot;
  let manager: ReaderManager;
  let ops: CardOperations;
  const events: Recorded[] = [];
  const rigs: SerialRig[] = [];

  const eventsFor = (name: keyof ReaderManagerEvents, reader: string) =>
    events.filter((e) => {
      if (e.name !== name) return false;
      const p = e.payload as { reader?: string; name?: string };
      return (p.reader ?? p.name) === reader;
    });

  before(async () => {
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    for (const [name, profileId] of [
      ['Serial reader STX', 'sscard-stx-bcc'],
      ['Serial reader CRC', 'sscard-len-crc16'],
    ] as const) {
      const pair = await startPtyPair();
      const firmware = await SerialReaderFirmware.open({
        path: pair.a,
        profile: profiles.serialReader(profileId),
      });
      rigs.push({ name, pair, firmware });
    }
    manager = new ReaderManager({
      backends: [
        new PcscBackend({ backoff: { initialMs: 50, maxMs: 500 }, deadlineMs: 5_000 }),
        // The `readers.serial` entries of the agent configuration, profiles resolved.
        new SerialBackend({
          readers: rigs.map((r) => ({ name: r.name, path: r.pair.b, profile: r.firmware.profile })),
          pollIntervalMs: 50,
          backoff: { initialMs: 50, maxMs: 400 },
        }),
      ],
      roles: (name, kind) => ({ role: kind === 'pcsc' && name.endsWith(' 01') ? 'psam' : 'user' }),
    });
    for (const name of [
      'reader-added',
      'reader-removed',
      'card-inserted',
      'card-removed',
      'error',
    ] as const) {
      manager.on(name, (payload: unknown) => events.push({ name, payload }));
    }
    manager.start();
    user = new VpcdSlot({ port: pcscd.vpcdPorts[0]!, backoff: { initialMs: 50, maxMs: 300 } });
    psam = new VpcdSlot({ port: pcscd.vpcdPorts[1]!, backoff: { initialMs: 50, maxMs: 300 } });
    psam.insert(new CardWithFaults(createPsam(keyset)));
    await waitFor('the PSAM seen', () => manager.psamReader());
    for (const rig of rigs) await waitFor(`${rig.name} announced`, () => manager.get(rig.name));
    ops = new CardOperations({
      readers: manager,
      terminal: { terminalNumber: '410100813475', deviceNumber: 'DEV0001' },
      caKeys: caKeysOf(keyset),
    });
  });

  after(async () => {
    user.close();
    psam.close();
    await manager.stop();
    for (const rig of rigs) {
      await rig.firmware.close();
      await rig.pair.close();
    }
    await pcscd.stop();
  });

  async function insertSerial(rig: SerialRig, doc = gen2): Promise<void> {
    if (rig.firmware.card) {
      rig.firmware.remove();
      await waitFor(`the card gone from ${rig.name}`, () => !manager.get(rig.name)?.card);
    }
    rig.firmware.insert(createCard(doc, keyset));
    await waitFor(`the card seen in ${rig.name}`, () => manager.get(rig.name)?.card);
  }

  async function readOverPcsc(doc: typeof gen2): Promise<ReadCardResult> {
    const name = pcscd.readerNames[0]!;
    user.insert(new CardWithFaults(createCard(doc, keyset)));
    await waitFor('the card seen over PC/SC', () => manager.get(name)?.card);
    try {
      return await ops.readCard({ reader: name });
    } finally {
      user.remove();
      await waitFor('the PC/SC card gone', () => !manager.get(name)?.card);
    }
  }

  it('lists each configured serial reader as a user reader of kind serial', () => {
    for (const rig of rigs) {
      assert.deepEqual(manager.get(rig.name), { name: rig.name, kind: 'serial', role: 'user' });
    }
  });

  for (const [generation, doc] of [
    [2, gen2],
    [3, gen3],
  ] as const) {
    it(`reads a generation ${generation} card over both framings exactly as over PC/SC, and verifies it`, async () => {
      const overPcsc = await readOverPcsc(doc);
      assert.equal(overPcsc.verification?.genuine, true, JSON.stringify(overPcsc.verification?.failed));
      for (const rig of rigs) {
        await insertSerial(rig, doc);
        try {
          const overSerial = await ops.readCard({ reader: rig.name });
          assert.equal(overSerial.reader, rig.name);
          assert.deepEqual(overSerial.info, overPcsc.info);
          assert.equal(overSerial.readCardBas, overPcsc.readCardBas);
          assert.equal(overSerial.atr, overPcsc.atr);
          assert.equal(overSerial.apduCount, overPcsc.apduCount);
          assert.equal(
            overSerial.verification?.genuine,
            true,
            JSON.stringify(overSerial.verification?.failed),
          );
          assert.deepEqual(overSerial.verification?.passed, overPcsc.verification?.passed);
        } finally {
          rig.firmware.remove();
          await waitFor(`the card gone from ${rig.name}`, () => !manager.get(rig.name)?.card);
        }
      }
    });
  }

  it('announces a card put into and taken out of a serial reader, with its ATR', async () => {
    for (const rig of rigs) {
      const inserted = eventsFor('card-inserted', rig.name).length;
      const removed = eventsFor('card-removed', rig.name).length;
      await insertSerial(rig);
      const event = eventsFor('card-inserted', rig.name).at(inserted) as
        | { payload: { atr: string; role: string } }
        | undefined;
      assert.equal(event?.payload.atr, rig.firmware.card?.atr.toString('hex').toUpperCase());
      assert.equal(event?.payload.role, 'user');
      rig.firmware.remove();
      await waitFor('card-removed', () => eventsFor('card-removed', rig.name).length > removed);
      assert.equal(manager.get(rig.name)?.card, undefined);
      assert.equal(eventsFor('card-inserted', rig.name).length, inserted + 1, 'one insertion, one event');
    }
  });

  it('reads through any single damaged answer frame: status and power are resent, an APDU restarts the read', async () => {
    for (const rig of rigs) {
      await insertSerial(rig);
      for (const fault of ['corrupt-checksum', 'truncate', 'split', 'noise-before'] as const) {
        // Several reads, so that the damage lands on polls, power on and APDUs alike.
        for (let i = 0; i < 3; i++) {
          rig.firmware.injectLineFault(fault);
          const result = await ops.readCard({ reader: rig.name, verify: false });
          assert.equal(result.info.ssn, gen2.holder.ssn, `${rig.name}, ${fault}`);
          await waitFor('the damaged answer sent', () => rig.firmware.pendingLineFaults === 0);
        }
      }
      assert.ok(manager.get(rig.name)?.card, 'the card is still announced');
      assert.equal(eventsFor('reader-removed', rig.name).length, 0, 'line noise is not an unplug');
      rig.firmware.remove();
      await waitFor(`the card gone from ${rig.name}`, () => !manager.get(rig.name)?.card);
    }
  });

  it('fails a read under a burst of damaged answers with a typed error and reads again once the line is clean', async () => {
    for (const rig of rigs) {
      await insertSerial(rig);
      // More damaged answers than the resends and the one restart of a read can absorb.
      rig.firmware.injectLineFault('corrupt-checksum', 12);
      const outcome = await ops.readCard({ reader: rig.name, verify: false }).then(
        () => 'read',
        (e: unknown) => (e instanceof ReaderError ? e.code : String(e)),
      );
      assert.equal(outcome, 'ReaderProtocol');
      await waitFor('the burst over', () => rig.firmware.pendingLineFaults === 0);
      await waitFor(`the card seen in ${rig.name}`, () => manager.get(rig.name)?.card);
      const clean = await ops.readCard({ reader: rig.name });
      assert.equal(clean.verification?.genuine, true);
      assert.equal(eventsFor('reader-removed', rig.name).length, 0, 'line noise is not an unplug');
      rig.firmware.remove();
      await waitFor(`the card gone from ${rig.name}`, () => !manager.get(rig.name)?.card);
    }
  });

  it('reports an unplugged serial reader as removed and reads the card again once it is plugged back', async () => {
    for (const rig of rigs) {
      await insertSerial(rig);
      const removedBefore = eventsFor('reader-removed', rig.name).length;
      const addedBefore = eventsFor('reader-added', rig.name).length;
      const lost = new Promise((resolve) => rig.firmware.once('disconnected', resolve));
      await rig.pair.unplug();
      await lost;
      await waitFor(
        `${rig.name} removed`,
        () => eventsFor('reader-removed', rig.name).length > removedBefore,
      );
      assert.equal(manager.get(rig.name), undefined);
      await assert.rejects(
        ops.readCard({ reader: rig.name }),
        (e: unknown) => e instanceof ReaderError && e.code === 'ReaderNotFound',
      );

      await rig.pair.replug();
      await rig.firmware.reopen();
      await waitFor(`${rig.name} back`, () => eventsFor('reader-added', rig.name).length > addedBefore);
      await waitFor(`the card seen again in ${rig.name}`, () => manager.get(rig.name)?.card);
      const again = await ops.readCard({ reader: rig.name });
      assert.equal(again.info.cardNumber, gen2.card.cardNumber);
      assert.equal(again.verification?.genuine, true);
      rig.firmware.remove();
      await waitFor(`the card gone from ${rig.name}`, () => !manager.get(rig.name)?.card);
    }
  });

  it('reports a mute card on a serial reader as CardMute and recovers when it is reinserted', async () => {
    const rig = rigs[0]!;
    await insertSerial(rig);
    const slot = rig.firmware.card as CardWithFaults;
    slot.fault = { kind: 'mute' };
    await assert.rejects(
      ops.readCard({ reader: rig.name, verify: false }),
      (e: unknown) => e instanceof ReaderError && e.code === 'CardMute',
    );
    await insertSerial(rig);
    assert.equal((await ops.readCard({ reader: rig.name, verify: false })).info.ssn, gen2.holder.ssn);
    rig.firmware.remove();
  });
});
