/**
 * Ports on a real socat pseudo-terminal pair: pulling the pair is what a USB-serial adapter pulled
 * out of its socket looks like to the host (the tty hangs up).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, describe, it } from 'node:test';
import { type PtyPair, startPtyPair, waitFor } from '@sscard/test-harness';
import {
  closeSerialPort,
  type LineSettings,
  openSerialPort,
  PortClosedError,
  type SerialPort,
  writeToPort,
} from './index.js';

const line: LineSettings = { baud: 9600, dataBits: 8, parity: 'none', stopBits: 1 };

/** Resolves with the error the port closed with (null for a close asked for). */
function closed(port: SerialPort): Promise<(Error & { disconnected?: boolean }) | null> {
  return new Promise((resolve) => port.once('close', (error?: Error | null) => resolve(error ?? null)));
}

describe('serial line', () => {
  let pair: PtyPair | undefined;
  const open: SerialPort[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map(closeSerialPort));
    await pair?.close();
    pair = undefined;
  });

  after(async () => {
    await pair?.close();
  });

  async function plugged(): Promise<{ host: SerialPort; device: SerialPort }> {
    pair = await startPtyPair();
    const [host, device] = await Promise.all([openSerialPort(pair.b, line), openSerialPort(pair.a, line)]);
    open.push(host, device);
    return { host, device };
  }

  it('carries bytes both ways with the line settings given', async () => {
    const { host, device } = await plugged();
    const got: Buffer[] = [];
    host.on('data', (chunk: Buffer) => got.push(chunk));
    device.write(Buffer.from('0231', 'hex'));
    await waitFor('the bytes at the host', () => Buffer.concat(got).length === 2);
    assert.deepEqual(Buffer.concat(got), Buffer.from('0231', 'hex'));
  });

  it('reports a line that hung up before the host read from it as disconnected', async () => {
    // The host reads only after the hang-up is complete, when the tty answers every read with end
    // of file: the read that used to start over for ever.
    const { host } = await plugged();
    await pair!.unplug();
    await sleep(50);
    const ended = closed(host);
    host.on('data', () => undefined);
    const error = await ended;
    assert.equal(error?.disconnected, true, 'closed as disconnected');
    assert.match(error?.message ?? '', /hung up/);
    assert.equal(host.isOpen, false);
  });

  it('reports every unplug while the host reads, with or without bytes in flight', async () => {
    for (let round = 0; round < 10; round++) {
      const { host, device } = await plugged();
      host.on('data', () => undefined);
      device.on('error', () => undefined);
      const ended = closed(host);
      if (round % 2 === 0) device.write(Buffer.from('hello'));
      await pair!.unplug();
      const error = await Promise.race([ended, sleep(3_000).then(() => 'still open' as const)]);
      assert.notEqual(error, 'still open', `round ${round}: the host port saw the unplug`);
      assert.equal((error as { disconnected?: boolean } | null)?.disconnected, true, `round ${round}`);
      await Promise.all(open.splice(0).map(closeSerialPort));
      await pair!.close();
      pair = undefined;
    }
  });

  it('writes and waits for the bytes to leave; a port that closes first fails the write instead of holding it', async () => {
    const { host, device } = await plugged();
    const got: Buffer[] = [];
    host.on('data', (chunk: Buffer) => got.push(chunk));
    await writeToPort(device, Buffer.from('ping'));
    await waitFor('the bytes at the host', () => Buffer.concat(got).toString() === 'ping');
    // Closed before the write's callback can run: the stream's own drain would wait for an
    // 'open' that never comes.
    const pending = writeToPort(device, Buffer.from('lost'));
    device.close();
    await assert.rejects(pending, PortClosedError);
    await assert.rejects(writeToPort(device, Buffer.from('late')), PortClosedError);
  });

  it('refuses a path that is not a serial device', async () => {
    await assert.rejects(openSerialPort('/nonexistent/tty', line), /ENOENT|no such file/i);
  });
});
