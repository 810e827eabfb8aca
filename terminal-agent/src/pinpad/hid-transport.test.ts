/**
 * The HID PIN pad link is the one part tested over a fake device: this machine has no HID devices
 * and no /dev/uhid to create a virtual one (DESIGN.md §4), so node-hid's `HIDAsync` is replaced by
 * an object that answers reports the way the profile's pad does. Everything above the device
 * object (report codec, PIN pad protocol, PIN block decoding) is the production code.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import {
  decodeHidReport,
  defaultProfiles,
  encodeHidReport,
  type Frame,
  iso9564Format1,
} from '@sscard/firmware-profiles';
import { PinEntryError, PinPadError } from './errors.js';
import { type HidDeviceHandle, HidPinPadTransport, matchingHidDevices } from './hid-transport.js';
import { ProfilePinPad } from './profile-pin-pad.js';
import { PIN_REQUEST, rejection } from '../testing/pin-entry-fixture.js';

const profile = defaultProfiles().pinPad('sscard-hid-pinpad');
if (profile.transport.kind !== 'hid') throw new Error('sscard-hid-pinpad is expected to be a HID profile');
const hid = profile.transport;

type Script = (command: Frame, device: FakeHidPad) => void;

/** Answers host reports per `script`; `report()` sends a frame from the pad as one HID report. */
class FakeHidPad extends EventEmitter implements HidDeviceHandle {
  readonly received: Frame[] = [];
  closed = false;

  constructor(private readonly script: Script) {
    super();
  }

  async write(report: Buffer | number[]): Promise<number> {
    const bytes = Buffer.from(report);
    assert.equal(bytes.length, hid.reportLength, 'the host writes whole reports');
    const frame = decodeHidReport(hid.reportId, bytes);
    this.received.push(frame);
    queueMicrotask(() => this.script(frame, this));
    return bytes.length;
  }

  report(code: number, data: Buffer = Buffer.alloc(0)): void {
    this.emit('data', encodeHidReport(hid.reportId, hid.reportLength, { code, data }));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const { commands, events } = profile;

function typesPin(pin: string): Script {
  return (command, pad) => {
    if (command.code !== commands.startEntry.code) return;
    pad.report(events.ack.code);
    for (let i = 1; i <= pin.length; i++) pad.report(events.keyPressed.code, Buffer.from([i]));
    pad.report(events.pinBlock.code, iso9564Format1(pin));
  };
}

describe('HID PIN pad (fake HID device object; no HID hardware or /dev/uhid here)', () => {
  it('finds devices by the profile vendor and product id only', () => {
    const found = matchingHidDevices(hid, [
      { vendorId: hid.vendorId, productId: hid.productId, path: '/dev/hidraw3' },
      { vendorId: hid.vendorId, productId: hid.productId + 1, path: '/dev/hidraw4' },
      { vendorId: 0x046d, productId: hid.productId, path: '/dev/hidraw5' },
    ]);
    assert.deepEqual(
      found.map((d) => d.path),
      ['/dev/hidraw3'],
    );
  });

  it('starts the entry with the length limits and returns the digits of the ISO 9564-1 block', async () => {
    const device = new FakeHidPad(typesPin('123456'));
    const pad = new ProfilePinPad(profile, new HidPinPadTransport(device, hid, '/dev/hidraw3'));
    const counts: number[] = [];
    pad.on('key', ({ entered }) => counts.push(entered));
    const pin = await pad.readPin(PIN_REQUEST);
    assert.equal(pin.toString('ascii'), '123456');
    assert.deepEqual(device.received[0], { code: commands.startEntry.code, data: Buffer.from([6, 6]) });
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6]);
  });

  it('maps the pad cancel event to PIN_CANCELLED (-31)', async () => {
    const device = new FakeHidPad((command, d) => {
      if (command.code !== commands.startEntry.code) return;
      d.report(events.ack.code);
      d.report(events.cancelled.code);
    });
    const pad = new ProfilePinPad(profile, new HidPinPadTransport(device, hid, '/dev/hidraw3'));
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -31);
  });

  it('maps the pad timeout event to PIN_TIMEOUT (-32)', async () => {
    const device = new FakeHidPad((command, d) => {
      if (command.code !== commands.startEntry.code) return;
      d.report(events.ack.code);
      d.report(events.timeout.code);
    });
    const pad = new ProfilePinPad(profile, new HidPinPadTransport(device, hid, '/dev/hidraw3'));
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -32);
  });

  it('reports a device read error as a disconnected PIN pad', async () => {
    const device = new FakeHidPad((command, d) => {
      if (command.code !== commands.startEntry.code) return;
      d.report(events.ack.code);
      d.emit('error', new Error('could not read from HID device'));
    });
    const pad = new ProfilePinPad(profile, new HidPinPadTransport(device, hid, '/dev/hidraw3'));
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinPadError);
    assert.equal(error.code, 'PINPAD_DISCONNECTED');
  });

  it('reports a report of another id as a protocol error', async () => {
    const device = new FakeHidPad((command, d) => {
      if (command.code !== commands.startEntry.code) return;
      d.report(events.ack.code);
      d.emit('data', Buffer.alloc(hid.reportLength, 0x7f));
    });
    const pad = new ProfilePinPad(profile, new HidPinPadTransport(device, hid, '/dev/hidraw3'));
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinPadError);
    assert.equal(error.code, 'PINPAD_PROTOCOL');
  });
});
