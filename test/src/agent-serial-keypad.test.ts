/**
 * A serial reader with its own PIN keypad (profile `sscard-stx-bcc-keypad`) on a real socat
 * pseudo-terminal pair, in front of the whole agent: the PIN is typed on the reader, which builds
 * the card's VERIFY itself, so no PIN crosses the serial line or reaches the agent.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCard, generateKeyset } from '@sscard/card-emulator/cards/index';
import { SerialReaderFirmware } from '@sscard/card-emulator/serial/index';
import { defaultProfiles } from '@sscard/firmware-profiles';
import { createLogger } from '@sscard/log';
import { type Pcscd, type PtyPair, startPcscd, startPtyPair, tempDir, waitFor } from '@sscard/test-harness';
import type { PinResultView } from '@sscard/terminal-agent/api/card-view';
import { AgentConfigSchema } from '@sscard/terminal-agent/config/schema';
import { type RunningAgent, startAgent } from '@sscard/terminal-agent/daemon';
import { demoCardsByGeneration } from './agent-stack.js';

describe('PIN entry on the keypad of a serial reader', () => {
  const READER = 'Counter reader with keypad';
  const keyset = generateKeyset();
  const { gen2 } = demoCardsByGeneration();
  let pcscd: Pcscd;
  let pair: PtyPair;
  let firmware: SerialReaderFirmware;
  let agent: RunningAgent;
  let base: string;
  let token: string;
  /** The data of every command the agent sent to the reader. */
  const toReader: Buffer[] = [];

  before(async () => {
    pcscd = await startPcscd({ readers: 1 });
    process.env.PCSCLITE_CSOCK_NAME = pcscd.env.PCSCLITE_CSOCK_NAME;
    pair = await startPtyPair();
    firmware = await SerialReaderFirmware.open({
      path: pair.a,
      profile: defaultProfiles().serialReader('sscard-stx-bcc-keypad'),
    });
    firmware.on('received', (frame) => toReader.push(Buffer.from(frame.data)));
    const dataDir = await tempDir('sscard-keypad-agent-');
    const config = AgentConfigSchema.parse({
      terminal: { id: 'H-330300-0101', type: 'hospital', region: '330300' },
      api: { port: 0, tokenFile: join(dataDir, 'api-token') },
      // No PIN pad and no screen keypad: the reader's own keypad is the only way a PIN comes in.
      pin: { entry: 'none' },
      readers: { card: READER, serial: [{ name: READER, path: pair.b, profile: 'sscard-stx-bcc-keypad' }] },
      dataDir,
    });
    agent = await startAgent(config, createLogger({ level: 'error', write: () => {} }));
    token = (await readFile(join(dataDir, 'api-token'), 'utf8')).trim();
    base = `http://127.0.0.1:${agent.address.port}`;
    await waitFor('the serial reader', () => agent.readers.list().find((r) => r.name === READER));
  });

  after(async () => {
    await agent?.stop();
    await firmware?.close();
    await pair?.close();
    await pcscd?.stop();
  });

  const reader = () => agent.readers.list().find((r) => r.name === READER);

  async function insert(): Promise<void> {
    firmware.insert(createCard(gen2, keyset));
    await waitFor('the card', () => reader()?.card);
  }

  /** Starts a PIN verify at the agent and, once the reader's keypad waits, types `keys` on it. */
  async function verifyTyping(keys: string): Promise<PinResultView> {
    const answer = fetch(`${base}/v1/card/pin/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await waitFor('the keypad to wait for the PIN', () => firmware.keypadWaiting);
    firmware.pressKeys(keys);
    const res = await answer;
    assert.equal(res.status, 200);
    return (await res.json()) as PinResultView;
  }

  it('offers the reader as one that takes PINs on its keypad', async () => {
    await insert();
    assert.equal(reader()?.pinEntry, 'keypad');
  });

  it('verifies the PIN typed on the reader, which never crosses the serial line', async () => {
    const pin = gen2.pin.value;
    const ok = await verifyTyping(`${pin}E`);
    assert.equal(ok.ok, true);
    assert.equal(ok.code, 0);
    const wrong = await verifyTyping('999999E');
    assert.equal(wrong.ok, false);
    assert.equal(wrong.triesLeft, 2);
    // A wrong length is not sent to the card: the reader waits for the PIN again.
    const retyped = await verifyTyping(`12E${pin}E`);
    assert.equal(retyped.ok, true);
    const bcd = Buffer.from(pin, 'hex');
    assert.ok(toReader.length > 0);
    assert.ok(!toReader.some((data) => data.includes(bcd)), 'the PIN is not in what the agent sent');
  });

  it('answers the cardholder cancelling at the keypad as a cancelled entry (-31), and the ministry call alike', async () => {
    const cancelled = await verifyTyping('12C');
    assert.equal(cancelled.ok, false);
    assert.equal(cancelled.code, -31);
    const ministry = fetch(`${base}/ministry/iVerifyPIN?iType=1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await waitFor('the keypad to wait for the PIN', () => firmware.keypadWaiting);
    firmware.pressKeys(`${gen2.pin.value}E`);
    assert.deepEqual(await (await ministry).json(), { functionName: 'iVerifyPIN', success: 0, pOutInfo: '' });
  });

  /** Starts a PIN change at the agent and types each entry on the reader's keypad as it asks. */
  async function changeTyping(entries: string[]): Promise<PinResultView> {
    const answer = fetch(`${base}/v1/card/pin/change`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    for (const keys of entries) {
      await waitFor('the keypad to wait for a PIN', () => firmware.keypadWaiting);
      firmware.pressKeys(keys);
    }
    const res = await answer;
    assert.equal(res.status, 200);
    return (await res.json()) as PinResultView;
  }

  it('changes the PIN on the keypad, the reader refusing differing entries and the initial PIN', async () => {
    const pin = gen2.pin.value;
    const sent = toReader.length;
    const differ = await changeTyping([`${pin}E`, '246813E', '246800E']);
    assert.equal(differ.code, -34);
    const initial = await changeTyping([`${pin}E`, '123456E', '123456E']);
    assert.equal(initial.code, -36);
    const trivial = await changeTyping([`${pin}E`, '111111E', '111111E']);
    assert.equal(trivial.code, -35);
    const changed = await changeTyping([`${pin}E`, '246813E', '246813E']);
    assert.equal(changed.ok, true, JSON.stringify(changed));
    assert.equal((await verifyTyping('246813E')).ok, true);
    assert.ok(
      !toReader.slice(sent).some((data) => data.includes(Buffer.from('246813', 'hex'))),
      'no PIN crossed the line',
    );
    // The card's own PIN was the initial one: the keypad does not take it back.
    assert.equal((await changeTyping(['246813E', '123456E', '123456E'])).code, -36);
    assert.equal((await verifyTyping('246813E')).ok, true);
  });

  it('ends the entry as no card when the card is taken out while the keypad waits', async () => {
    const answer = fetch(`${base}/v1/card/pin/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await waitFor('the keypad to wait for the PIN', () => firmware.keypadWaiting);
    firmware.remove();
    const res = await answer;
    assert.ok(res.status >= 400);
    const body = (await res.json()) as { code: string };
    assert.ok(['CardRemoved', 'NoCard'].includes(body.code), body.code);
  });
});
