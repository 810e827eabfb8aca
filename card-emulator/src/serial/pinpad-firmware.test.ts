import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { bcdPinBlock, defaultProfiles, encodeFrame } from '@sscard/firmware-profiles';
import { type PtyPair, startPtyPair } from '@sscard/test-harness';
import { closeSerialPort, openSerialPort, type SerialPort } from '@sscard/serial-line';
import { SerialPinPadFirmware } from './pinpad-firmware.js';
import { SerialHost } from '../testing/serial-host.js';

const profile = defaultProfiles().pinPad('sscard-serial-pinpad');
if (profile.transport.kind !== 'serial') throw new Error('sscard-serial-pinpad is expected to be serial');
const { line, framing } = profile.transport;
const { commands, events } = profile;
const limits = Buffer.from([profile.pinLength.min, profile.pinLength.max]);
/** The profile numbers its commands: each command's first data byte, repeated by the answers. */
let seq = 0;
const numbered = (data: Buffer = Buffer.alloc(0)) => {
  seq = (seq % 255) + 1;
  return Buffer.concat([Buffer.from([seq]), data]);
};
const tagged = (n: number, data: Buffer = Buffer.alloc(0)) => Buffer.concat([Buffer.from([n]), data]);

let pty: PtyPair;
let pad: SerialPinPadFirmware;
let port: SerialPort;
let host: SerialHost;

before(async () => {
  pty = await startPtyPair();
  pad = await SerialPinPadFirmware.open({ path: pty.a, profile });
  port = await openSerialPort(pty.b, line);
  host = new SerialHost(port, framing);
});

after(async () => {
  await closeSerialPort(port);
  await pad.close();
  await pty.close();
});

beforeEach(async () => {
  if (pad.entryActive)
    assert.equal((await host.request(commands.cancel.code, numbered())).code, events.ack.code);
});

test('acknowledges start entry with its number, and numbers the counts and the BCD PIN block on Enter with it', async () => {
  pad.enterPin('123456');
  assert.deepEqual(await host.request(commands.startEntry.code, numbered(limits)), {
    code: events.ack.code,
    data: tagged(seq),
  });
  const entry = seq;
  for (let i = 1; i <= 6; i++)
    assert.deepEqual(await host.next(), {
      code: events.keyPressed.code,
      data: tagged(entry, Buffer.from([i])),
    });
  assert.deepEqual(await host.next(), {
    code: events.pinBlock.code,
    data: tagged(entry, bcdPinBlock('123456')),
  });
  assert.equal(pad.entryActive, false);
});

test('refuses a second start entry while one runs with reason 03 (busy)', async () => {
  pad.stayIdle();
  assert.equal((await host.request(commands.startEntry.code, numbered(limits))).code, events.ack.code);
  assert.deepEqual(await host.request(commands.startEntry.code, numbered(limits)), {
    code: events.error.code,
    data: tagged(seq, Buffer.from([0x03])),
  });
});

test('refuses limits outside the profile with reason 04 and unknown commands with reason 02', async () => {
  assert.deepEqual(await host.request(commands.startEntry.code, numbered(Buffer.from([4, 12]))), {
    code: events.error.code,
    data: tagged(seq, Buffer.from([0x04])),
  });
  assert.deepEqual(await host.request(0x7a, numbered()), {
    code: events.error.code,
    data: tagged(seq, Buffer.from([0x02])),
  });
  assert.equal(pad.entryActive, false);
});

test('answers a damaged command frame with reason 01 under number 0: its own number cannot be read', async () => {
  const wire = encodeFrame(framing, { code: commands.startEntry.code, data: numbered(limits) });
  wire[wire.length - 2] = wire[wire.length - 2]! ^ 0x5a;
  await host.write(wire);
  assert.deepEqual(await host.next(), { code: events.error.code, data: tagged(0, Buffer.from([0x01])) });
});

test("ends the entry on the host's cancel: ack and no more events", async () => {
  pad.stayIdle();
  assert.equal((await host.request(commands.startEntry.code, numbered(limits))).code, events.ack.code);
  const ended = new Promise((resolve) => pad.once('entry-ended', resolve));
  assert.equal((await host.request(commands.cancel.code, numbered())).code, events.ack.code);
  assert.equal(await ended, 'host-cancel');
  // The key script given now waits for the next entry instead of reaching the ended one.
  pad.enterPin('654321');
  assert.equal((await host.request(commands.startEntry.code, numbered(limits))).code, events.ack.code);
  assert.equal((await host.next()).code, events.keyPressed.code);
});
