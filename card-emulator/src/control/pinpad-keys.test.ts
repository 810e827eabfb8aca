import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { KeypadKey } from '@sscard/agent-protocol';
import { demoCardDocuments, generateKeyset } from '../cards/index.js';
import { Emulator, type PinPad } from './emulator.js';
import { createControlServer } from './server.js';

/** A pad that records what it is asked to play, as the serial PIN pad firmware would play it. */
class RecordingPad implements PinPad {
  readonly played: KeypadKey[][] = [];
  closed = false;
  constructor(
    readonly name: string,
    readonly enciphers: boolean,
  ) {}
  get connected(): boolean {
    return !this.closed;
  }
  pressKeys(keys: readonly KeypadKey[]): void {
    this.played.push([...keys]);
  }
  close(): void {
    this.closed = true;
  }
}

describe('the control API types on PIN pads', () => {
  const bank = new RecordingPad('bank', true);
  const desk = new RecordingPad('desk', false);
  const emulator = new Emulator(generateKeyset(), demoCardDocuments());
  emulator.addPinPad(bank);
  emulator.addPinPad(desk);
  let server: ReturnType<typeof createControlServer>;
  let base: string;

  before(async () => {
    server = createControlServer(emulator);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => server.close());

  const press = async (pad: string, keys: unknown) => {
    const res = await fetch(`${base}/pinpads/${pad}/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('lists the pads and whether they encipher', async () => {
    const res = await fetch(`${base}/pinpads`);
    assert.deepEqual(await res.json(), {
      pinPads: [
        { name: 'bank', connected: true, enciphers: true },
        { name: 'desk', connected: true, enciphers: false },
      ],
    });
  });

  test('plays digits, E as Enter and C as Cancel on the named pad only', async () => {
    assert.deepEqual(await press('bank', '802316E'), {
      status: 200,
      body: { name: 'bank', connected: true, enciphers: true },
    });
    assert.equal((await press('desk', '12C')).status, 200);
    assert.deepEqual(bank.played, [['8', '0', '2', '3', '1', '6', 'enter']]);
    assert.deepEqual(desk.played, [['1', '2', 'cancel']]);
  });

  test('refuses other keys and unknown pads, playing nothing', async () => {
    for (const keys of ['12a4', '', 'E'.repeat(33), 42]) {
      assert.equal((await press('bank', keys)).status, 400, String(keys));
    }
    const unknown = await press('bureau', '1E');
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, 'UNKNOWN_PINPAD');
    assert.equal(bank.played.length, 1);
  });

  test('closes the pads with the emulator', async () => {
    await emulator.close();
    assert.ok(bank.closed && desk.closed);
  });
});
