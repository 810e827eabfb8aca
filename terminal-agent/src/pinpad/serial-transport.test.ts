/**
 * The serial PIN pad driver over a real pseudo-terminal pair (socat). The far end is driven by the
 * test with the profile's own frame codec, answering the way the profile describes the pad.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultProfiles, encodeFrame, type Frame, FrameDecoder } from '@sscard/firmware-profiles';
import { type PtyPair, startPtyPair, waitFor } from '@sscard/test-harness';
import { closeSerialPort, openSerialPort, type SerialPort } from '@sscard/serial-line';
import { PinEntryError, PinPadError } from './errors.js';
import { ProfilePinPad } from './profile-pin-pad.js';
import { SerialPinPadTransport } from './serial-transport.js';
import { PIN_REQUEST, rejection } from '../testing/pin-entry-fixture.js';

const profile = defaultProfiles().pinPad('sscard-serial-pinpad');
if (profile.transport.kind !== 'serial')
  throw new Error('sscard-serial-pinpad is expected to be a serial profile');
const { line, framing } = profile.transport;
const { commands, events } = profile;

/**
 * The device end of the pty: decodes host frames and hands them to the current script. The
 * profile numbers commands (their first data byte); `received` keeps each command's number in
 * `seq` and its data without it, and `send` numbers a frame with the command being handled
 * unless told another number.
 */
class PadEnd {
  readonly received: (Frame & { seq: number })[] = [];
  script: (frame: Frame) => void = () => {};
  /** The number of the command the script is handling. */
  current = 0;
  readonly #decoder = new FrameDecoder(framing);

  constructor(readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      for (const e of this.#decoder.push(chunk)) {
        if (e.type !== 'frame') continue;
        this.current = e.frame.data[0] ?? 0;
        const frame = { code: e.frame.code, data: e.frame.data.subarray(1) };
        this.received.push({ ...frame, seq: this.current });
        this.script(frame);
      }
    });
  }

  send(code: number, data: Buffer = Buffer.alloc(0), seq = this.current): void {
    this.port.write(encodeFrame(framing, { code, data: Buffer.concat([Buffer.from([seq]), data]) }));
  }
}

describe('serial PIN pad over a pty', () => {
  let pty: PtyPair;
  let device: PadEnd;
  let pad: ProfilePinPad;

  before(async () => {
    pty = await startPtyPair();
    device = new PadEnd(await openSerialPort(pty.a, line));
    pad = new ProfilePinPad(profile, await SerialPinPadTransport.open(pty.b, line, framing));
  });

  after(async () => {
    await pad.close();
    await closeSerialPort(device.port);
    await pty.close();
  });

  it('returns the digits of the BCD PIN block and reports key presses as counts', async () => {
    device.script = (frame) => {
      if (frame.code !== commands.startEntry.code) return;
      device.send(events.ack.code);
      for (let i = 1; i <= 6; i++) device.send(events.keyPressed.code, Buffer.from([i]));
      device.send(events.pinBlock.code, Buffer.from('123456', 'hex'));
    };
    const counts: number[] = [];
    const onKey = ({ entered }: { entered: number }) => counts.push(entered);
    pad.on('key', onKey);
    const pin = await pad.readPin(PIN_REQUEST);
    pad.off('key', onKey);
    assert.equal(pin.toString('ascii'), '123456');
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6]);
    const start = device.received.at(-1)!;
    assert.deepEqual(
      { code: start.code, data: start.data },
      { code: commands.startEntry.code, data: Buffer.from([6, 6]) },
    );
  });

  it('maps Cancel on the pad to PIN_CANCELLED (-31)', async () => {
    device.script = (frame) => {
      if (frame.code !== commands.startEntry.code) return;
      device.send(events.ack.code);
      device.send(events.keyPressed.code, Buffer.from([1]));
      device.send(events.cancelled.code);
    };
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -31);
  });

  it('maps the pad timeout to PIN_TIMEOUT (-32)', async () => {
    device.script = (frame) => {
      if (frame.code !== commands.startEntry.code) return;
      device.send(events.ack.code);
      device.send(events.timeout.code);
    };
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -32);
  });

  it('times out on the host side and tells the pad to cancel when the pad goes quiet', async () => {
    device.script = (frame) => {
      if (frame.code === commands.startEntry.code || frame.code === commands.cancel.code)
        device.send(events.ack.code);
    };
    const error = await rejection(pad.readPin({ ...PIN_REQUEST, timeoutMs: 1 }));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -32);
    await new Promise<void>((resolve) => {
      const check = () =>
        device.received.at(-1)?.code === commands.cancel.code ? resolve() : setTimeout(check, 10);
      check();
    });
  });

  it('drops the PIN block of an earlier entry that reaches the host before this entry is acknowledged', async () => {
    // The wire as it is after a damaged frame ended the host's last entry while the cardholder went
    // on typing: that entry's PIN block is still ahead of the new entry's acknowledgement.
    device.script = (frame) => {
      if (frame.code !== commands.startEntry.code) return;
      device.send(events.keyPressed.code, Buffer.from([6]));
      device.send(events.pinBlock.code, Buffer.from('111111', 'hex'));
      device.send(events.ack.code);
      for (let i = 1; i <= 6; i++) device.send(events.keyPressed.code, Buffer.from([i]));
      device.send(events.pinBlock.code, Buffer.from('246810', 'hex'));
    };
    const counts: number[] = [];
    const onKey = ({ entered }: { entered: number }) => counts.push(entered);
    pad.on('key', onKey);
    const pin = await pad.readPin(PIN_REQUEST);
    pad.off('key', onKey);
    assert.equal(pin.toString('ascii'), '246810');
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6]);
  });

  it("matches the pad's answers to the commands by number: a cancel's late ack is not taken for the next entry's", async () => {
    // The host gives up on an entry and cancels it; the pad is slow to answer the cancel, and the
    // cardholder had typed a PIN before the pad read it.
    let cancelHeard = false;
    let cancelSeq = 0;
    let firstEntrySeq = 0;
    device.script = (frame) => {
      if (frame.code === commands.cancel.code) {
        cancelHeard = true;
        cancelSeq = device.current;
      }
      if (frame.code !== commands.startEntry.code) return;
      if (!cancelHeard) {
        firstEntrySeq = device.current;
        return void device.send(events.ack.code);
      }
      device.send(events.ack.code, Buffer.alloc(0), cancelSeq); // the cancel's, late
      device.send(events.pinBlock.code, Buffer.from('111111', 'hex'), firstEntrySeq);
      device.send(events.ack.code); // this entry's
      device.send(events.pinBlock.code, Buffer.from('246810', 'hex'));
    };
    const first = await rejection(pad.readPin({ ...PIN_REQUEST, timeoutMs: 1 }));
    assert.ok(first instanceof PinEntryError);
    await waitFor('the cancel at the pad', () => cancelHeard);
    assert.equal((await pad.readPin(PIN_REQUEST)).toString('ascii'), '246810');
  });

  it("takes the next entry's ack for that entry when the pad's answer to a cancel was lost", async () => {
    // Answers matched in order would give this entry's ack to the cancel, and the entry would wait
    // for an ack that never comes: one lost answer would shift every answer after it.
    let cancelHeard = false;
    device.script = (frame) => {
      if (frame.code === commands.cancel.code) {
        cancelHeard = true; // its ack is lost
        return;
      }
      if (frame.code !== commands.startEntry.code) return;
      if (!cancelHeard) return void device.send(events.ack.code);
      device.send(events.ack.code);
      device.send(events.pinBlock.code, Buffer.from('135790', 'hex'));
    };
    const first = await rejection(pad.readPin({ ...PIN_REQUEST, timeoutMs: 1 }));
    assert.ok(first instanceof PinEntryError);
    await waitFor('the cancel at the pad', () => cancelHeard);
    assert.equal((await pad.readPin(PIN_REQUEST)).toString('ascii'), '135790');
    assert.ok(
      device.received.slice(-2).every((f, i, all) => i === 0 || f.seq === (all[i - 1]!.seq % 255) + 1),
    );
  });

  it('tells the pad to stop when a damaged frame ends the entry', async () => {
    device.script = (frame) => {
      if (frame.code === commands.cancel.code) return void device.send(events.ack.code);
      if (frame.code !== commands.startEntry.code) return;
      device.send(events.ack.code);
      // A key event whose BCC (the byte before ETX) was hit on the line.
      const damaged = encodeFrame(framing, { code: events.keyPressed.code, data: Buffer.from([1]) });
      damaged[damaged.length - 2]! ^= 0xff;
      device.port.write(damaged);
    };
    const before = device.received.length;
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinPadError);
    assert.equal(error.code, 'PINPAD_PROTOCOL');
    await waitFor('the cancel at the pad', () =>
      device.received.slice(before).some((f) => f.code === commands.cancel.code),
    );
  });

  it('rejects a PIN block of the wrong length with PIN_BAD_LENGTH (-33)', async () => {
    device.script = (frame) => {
      if (frame.code !== commands.startEntry.code) return;
      device.send(events.ack.code);
      device.send(events.pinBlock.code, Buffer.from('1234FF', 'hex'));
    };
    const error = await rejection(pad.readPin(PIN_REQUEST));
    assert.ok(error instanceof PinEntryError);
    assert.equal(error.returnCode, -33);
  });
});
