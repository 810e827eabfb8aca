/**
 * The agent's serial PIN pad driver (openPinPad → ProfilePinPad over SerialPinPadTransport)
 * against the emulated serial PIN pad firmware on a real socat pty pair, and the PIN it returns
 * verified by a card in an emulated serial reader.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCard, demoCardDocuments, generateKeyset } from '@sscard/card-emulator/cards/index';
import { SerialPinPadFirmware, SerialReaderFirmware } from '@sscard/card-emulator/serial/index';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { type PtyPair, startPtyPair, waitFor } from '@sscard/test-harness';
import { CardOperations } from '@sscard/terminal-agent/card-operations';
import { PinEntryError, PinPadError } from '@sscard/terminal-agent/pinpad/errors';
import { openPinPad } from '@sscard/terminal-agent/pinpad/open-pin-pad';
import type { PinPad } from '@sscard/terminal-agent/pinpad/pin-pad';
import { ReaderManager } from '@sscard/terminal-agent/readers/reader-manager';
import { SerialBackend } from '@sscard/terminal-agent/readers/serial-backend';
import { PIN_REQUEST, rejection } from '@sscard/terminal-agent/testing/pin-entry-fixture';

const profiles = defaultProfiles();
const padProfile = profiles.pinPad('sscard-serial-pinpad');

describe('PIN entry on a serial PIN pad', () => {
  const doc = demoCardDocuments().find((d) => d.card.specVersion === '2.00')!;
  let padPair: PtyPair;
  let readerPair: PtyPair;
  let firmware: SerialPinPadFirmware;
  let readerFirmware: SerialReaderFirmware;
  let pad: PinPad;
  let manager: ReaderManager;
  let ops: CardOperations;

  before(async () => {
    padPair = await startPtyPair();
    readerPair = await startPtyPair();
    // The pad's own entry timeout is short so that its timeout event is seen in a test.
    firmware = await SerialPinPadFirmware.open({
      path: padPair.a,
      profile: padProfile,
      entryTimeoutMs: 1_000,
    });
    // The `pin` section of the agent configuration for a serial PIN pad.
    const opened = await openPinPad(
      {
        entry: 'pinpad',
        pinpad: { profile: padProfile.id, path: padPair.b },
        timeoutMs: 60_000,
        minLength: 6,
        maxLength: 6,
      },
      profiles,
    );
    assert.ok(opened);
    pad = opened;
    readerFirmware = await SerialReaderFirmware.open({
      path: readerPair.a,
      profile: profiles.serialReader('sscard-stx-bcc'),
    });
    manager = new ReaderManager({
      backends: [
        new SerialBackend({
          readers: [{ name: 'Serial reader', path: readerPair.b, profile: readerFirmware.profile }],
          pollIntervalMs: 50,
          backoff: { initialMs: 50, maxMs: 400 },
        }),
      ],
    });
    manager.start();
    ops = new CardOperations({
      readers: manager,
      terminal: { terminalNumber: '410100813475', deviceNumber: 'DEV0001' },
    });
  });

  after(async () => {
    await pad.close();
    await manager.stop();
    await firmware.close();
    await readerFirmware.close();
    await padPair.close();
    await readerPair.close();
  });

  it('delivers the PIN typed on the pad, verified by the card and wiped after the VERIFY', async () => {
    readerFirmware.insert(createCard(doc, generateKeyset()));
    await waitFor('the card seen', () => manager.get('Serial reader')?.card);
    const counts: number[] = [];
    const onKey = ({ entered }: { entered: number }) => counts.push(entered);
    pad.on('key', onKey);
    firmware.enterPin(doc.pin.value);
    const pin = await pad.readPin(PIN_REQUEST);
    pad.off('key', onKey);
    assert.equal(pin.length, 6);
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6], 'counts only, one per key');
    // The command's number first (the profile's sequence numbers), then the length limits.
    const start = firmware.received.at(-1)!;
    assert.equal(start.code, padProfile.commands.startEntry.code);
    assert.deepEqual(start.data.subarray(1), Buffer.from([6, 6]));
    assert.ok(start.data[0]! >= 1);
    const result = await ops.verifyPin(pin, { reader: 'Serial reader' });
    assert.deepEqual(result.status, { state: 'ok' });
    assert.ok(
      pin.every((b) => b === 0),
      'the PIN buffer is wiped after use',
    );
    readerFirmware.remove();
  });

  it('counts corrections: back and clear change the count the host sees', async () => {
    const counts: number[] = [];
    const onKey = ({ entered }: { entered: number }) => counts.push(entered);
    pad.on('key', onKey);
    firmware.pressKeys(['1', '2', 'back', 'clear', '9', '8', '7', '6', '5', '4', '3', 'enter']);
    const pin = await pad.readPin(PIN_REQUEST);
    pad.off('key', onKey);
    assert.equal(pin.toString('ascii'), '987654', 'a full pad ignores the seventh digit');
    assert.deepEqual(counts, [1, 2, 1, 0, 1, 2, 3, 4, 5, 6]);
  });

  it('maps Cancel pressed on the pad to PIN_CANCELLED (-31)', async () => {
    firmware.pressKeys(['1', '2', 'cancel']);
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -31);
    assert.equal(firmware.entryActive, false);
  });

  it('times out on the host (-32) when nobody types, and tells the pad to stop', async () => {
    firmware.stayIdle();
    const ended = new Promise((resolve) => firmware.once('entry-ended', resolve));
    const error = await rejection(pad.readPin({ ...PIN_REQUEST, timeoutMs: 200 }));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -32);
    assert.equal(await ended, 'host-cancel');
  });

  it("maps the pad's own timeout to PIN_TIMEOUT (-32); a pad that checks length ignores Enter on a short PIN", async () => {
    const ended = new Promise((resolve) => firmware.once('entry-ended', resolve));
    firmware.enterPin('1234');
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -32);
    assert.equal(await ended, 'timeout');
  });

  it('rejects a PIN block of the wrong length with PIN_BAD_LENGTH (-33) when the pad leaves the check to the host', async () => {
    firmware.enforceLength = false;
    try {
      firmware.enterPin('1234');
      const error = await rejection(pad.readPin(PIN_REQUEST));
      assert.ok(error instanceof PinEntryError);
      assert.equal(error.returnCode, -33);
    } finally {
      firmware.enforceLength = true;
    }
  });

  it('reports a damaged frame from the pad as a PIN pad protocol error, and the next entry works', async () => {
    // The pad's acknowledgement is the damaged frame; the pad itself started the entry, and the
    // cardholder types on. The host may see the damage before the pad has begun the entry, so the
    // next PIN is typed only once the pad ended this one.
    const firstEntryOver = new Promise((resolve) => firmware.once('entry-ended', resolve));
    firmware.injectLineFault('corrupt-checksum');
    firmware.enterPin('123456');
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinPadError);
    assert.equal(error.code, 'PINPAD_PROTOCOL');
    assert.ok(['pin-block', 'host-cancel'].includes(String(await firstEntryOver)));
    firmware.enterPin('246810');
    assert.equal((await pad.readPin(PIN_REQUEST)).toString('ascii'), '246810');
  });

  it('reports a PIN pad unplugged during entry as disconnected', async () => {
    firmware.stayIdle();
    const entry = rejection(pad.readPin(PIN_REQUEST));
    await waitFor('the entry started on the pad', () => firmware.entryActive);
    await padPair.unplug();
    const error = await entry;
    assert.ok(error instanceof PinPadError);
    assert.equal(error.code, 'PINPAD_DISCONNECTED');
  });
});
