import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, type Pcscd, startPcscd, tempDir, waitFor } from '@sscard/test-harness';
import { runScriptor, scanReaders } from '../testing/pcsc-tools.js';
import { demoCardDocuments, generateKeyset } from '../cards/index.js';
import { Emulator, vpcdSlot } from './emulator.js';
import { createControlServer } from './server.js';

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';
/** Gen 2 card OS answers the SELECT with 9000, gen 3 with 611E (FCI waiting): both are success. */
const selected = (response: string | undefined) =>
  response !== undefined && /(9000|61[0-9A-F]{2})$/.test(response);
const keyset = generateKeyset();
const docs = demoCardDocuments();

describe('control API over a real pcscd', () => {
  let pcscd: Pcscd;
  let emulator: Emulator;
  let base: string;
  let server: ReturnType<typeof createControlServer>;

  before(async () => {
    pcscd = await startPcscd();
    emulator = new Emulator(keyset, docs);
    emulator.addSlot(vpcdSlot('card', pcscd.vpcdPorts[0]!));
    emulator.addSlot(vpcdSlot('psam', pcscd.vpcdPorts[1]!));
    server = createControlServer(emulator);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.close();
    await emulator.close();
    await pcscd.stop();
  });

  const post = (path: string, body: unknown = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('lists every card with its generation and no slot before insertion', async () => {
    const { cards } = (await (await fetch(`${base}/cards`)).json()) as {
      cards: { id: string; kind: string; slot: null }[];
    };
    assert.equal(cards.filter((c) => c.kind === 'ssse').length, docs.length);
    assert.equal(cards.filter((c) => c.kind === 'psam').length, 1);
    assert.ok(cards.every((c) => c.slot === null));
  });

  test('an inserted card is seen by pcsc_scan with its ATR, and removal empties the reader', async () => {
    const id = docs[0]!.card.cardNumber;
    const res = await post('/slots/card/insert', { card: id });
    assert.equal(res.status, 200);
    const slot = (await res.json()) as { card: { id: string; atr: string } };
    assert.equal(slot.card.id, id);
    const seen = await waitFor('the card in pcsc_scan', async () => {
      const readers = await scanReaders(pcscd.env);
      return readers.find((r) => r.name === 'Virtual PCD 00 00' && r.atr === slot.card.atr);
    });
    assert.equal(seen.atr, slot.card.atr);
    await post('/slots/card/remove');
    await waitFor('the reader to be empty', async () => {
      const readers = await scanReaders(pcscd.env);
      return readers.find((r) => r.name === 'Virtual PCD 00 00' && r.atr === undefined);
    });
  });

  test('a swap puts the other card in the slot and scriptor reads the new card number', async () => {
    const [first, second] = docs;
    await post('/slots/card/insert', { card: first!.card.cardNumber });
    await post('/slots/card/insert', { card: second!.card.cardNumber });
    const read = await waitFor('scriptor to read the swapped card', async () => {
      const run = await runScriptor(pcscd.env, 'Virtual PCD 00 00', [SELECT_SSSE, '00B2072C0B']);
      const answer = run.exchanges[1]?.response;
      return answer?.startsWith('0709') ? answer : undefined;
    });
    const cardNumber = Buffer.from(read.slice(4, 4 + 18), 'hex').toString('ascii');
    assert.equal(cardNumber, second!.card.cardNumber);
  });

  test('a garbage fault reaches the PC/SC client, and clearing it restores the card', async () => {
    await post('/slots/card/fault', { kind: 'garbage' });
    const broken = await runScriptor(pcscd.env, 'Virtual PCD 00 00', [SELECT_SSSE]);
    assert.ok(!selected(broken.exchanges[0]?.response));
    await post('/slots/card/fault', { kind: 'none' });
    const fixed = await waitFor('the card to answer again', async () => {
      const run = await runScriptor(pcscd.env, 'Virtual PCD 00 00', [SELECT_SSSE]);
      return selected(run.exchanges[0]?.response) ? run : undefined;
    });
    assert.ok(selected(fixed.exchanges[0]?.response));
  });

  test('refuses unknown cards, unknown slots, bad faults, web pages and oversized bodies', async () => {
    assert.equal((await post('/slots/card/insert', { card: 'NO-SUCH-CARD' })).status, 400);
    assert.equal((await post('/slots/nowhere/remove')).status, 400);
    assert.equal((await post('/slots/card/fault', { kind: 'melt' })).status, 400);
    // A vpcd slot's reader has no keypad to type on.
    const typed = await post('/slots/card/keys', { keys: '123456E' });
    assert.equal(typed.status, 400);
    assert.equal(((await typed.json()) as { code: string }).code, 'NO_KEYPAD');
    const fromPage = await fetch(`${base}/cards`, { headers: { origin: 'http://evil.example' } });
    assert.equal(fromPage.status, 403);
    assert.equal((await post('/slots/card/insert', { card: 'x'.repeat(10_000) })).status, 413);
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
  });
});

describe('sscard-emulator start', () => {
  test('brings up both slots on a private pcscd with the demo card and the PSAM', async () => {
    const dir = await tempDir('sscard-emulator-cli-');
    const port = await freePort();
    const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
    const child = spawn(
      process.execPath,
      [cli, 'start', '--private-pcscd', '--keys', `${dir}/issuer.json`, '--control-port', String(port)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    try {
      await waitFor('the ready line', () => /ready in \d+ ms/.test(output), 20_000);
      const socket = /PCSCLITE_CSOCK_NAME=(\S+)/.exec(output)![1]!;
      const readers = await waitFor('two cards in pcsc_scan', async () => {
        const found = await scanReaders({ PCSCLITE_CSOCK_NAME: socket });
        return found.filter((r) => r.atr !== undefined).length === 2 ? found : undefined;
      });
      assert.deepEqual(
        readers.map((r) => r.name),
        ['Virtual PCD 00 00', 'Virtual PCD 00 01'],
      );
      const run = await runScriptor({ PCSCLITE_CSOCK_NAME: socket }, 'Virtual PCD 00 00', [
        SELECT_SSSE,
        '00B2013414',
      ]);
      assert.ok(selected(run.exchanges[0]?.response));
      assert.ok(run.exchanges[1]?.response?.startsWith('0812'), 'the SSN record');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
