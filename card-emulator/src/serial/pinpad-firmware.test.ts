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
  if (pad.entryActive) assert.equal((await host.request(commands.cancel.code)).code, events.ack.code);
});

test('acknowledges start entry, reports counts only and sends the BCD PIN block on Enter', async () => {
  pad.enterPin('123456');
  assert.equal((await host.request(commands.startEntry.code, limits)).code, events.ack.code);
  for (let i = 1; i <= 6; i++)
    assert.deepEqual(await host.next(), { code: events.keyPressed.code, data: Buffer.from([i]) });
  assert.deepEqual(await host.next(), { code: events.pinBlock.code, data: bcdPinBlock('123456') });
  assert.equal(pad.entryActive, false);
});

test('refuses a second start entry while one runs with reason 03 (busy)', async () => {
  pad.stayIdle();
  assert.equal((await host.request(commands.startEntry.code, limits)).code, events.ack.code);
  assert.deepEqual(await host.request(commands.startEntry.code, limits), {
    code: events.error.code,
    data: Buffer.from([0x03]),
  });
});

test('refuses limits outside the profile with reason 04 and unknown commands with reason 02', async () => {
  assert.deepEqual(await host.request(commands.startEntry.code, Buffer.from([4, 12])), {
    code: events.error.code,
    data: Buffer.from([0x04]),
  });
  assert.deepEqual(await host.request(0x7a), { code: events.error.code, data: Buffer.from([0x02]) });
  assert.equal(pad.entryActive, false);
});

test('answers a damaged command frame with reason 01', async () => {
  const wire = encodeFrame(framing, { code: commands.startEntry.code, data: limits });
  wire[wire.length - 2] = wire[wire.length - 2]! ^ 0x5a;
  await host.write(wire);
  assert.deepEqual(await host.next(), { code: events.error.code, data: Buffer.from([0x01]) });
});

test("ends the entry on the host's cancel: ack and no more events", async () => {
  pad.stayIdle();
  assert.equal((await host.request(commands.startEntry.code, limits)).code, events.ack.code);
  const ended = new Promise((resolve) => pad.once('entry-ended', resolve));
  assert.equal((await host.request(commands.cancel.code)).code, events.ack.code);
  assert.equal(await ended, 'host-cancel');
  // The key script given now waits for the next entry instead of reaching the ended one.
  pad.enterPin('654321');
  assert.equal((await host.request(commands.startEntry.code, limits)).code, events.ack.code);
  assert.equal((await host.next()).code, events.keyPressed.code);
});
