import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CardWithFaults, MS_PER_BYTE_9600, parseFault, realisticLatencyMs } from './faults.js';
import type { VirtualCard } from './virtual-card.js';

const ATR = Buffer.from('3B6800005053414D00000001', 'hex');

function echoCard(): VirtualCard {
  return {
    id: 'echo',
    atr: ATR,
    powerOn: () => ATR,
    reset: () => ATR,
    powerOff: () => {},
    transmit: () => Buffer.from('9000', 'hex'),
  };
}

const SELECT = Buffer.from('00A4040008D156000005505341', 'hex');

test('without a fault the card answers as it is', async () => {
  const card = new CardWithFaults(echoCard());
  assert.deepEqual(await card.exchange(SELECT), Buffer.from('9000', 'hex'));
  assert.deepEqual(card.atr, ATR);
});

test('a mute card gives no answer', async () => {
  const card = new CardWithFaults(echoCard());
  card.fault = { kind: 'mute' };
  assert.equal(await card.exchange(SELECT), undefined);
});

test('garbage is never a well-formed status word', async () => {
  const card = new CardWithFaults(echoCard());
  card.fault = { kind: 'garbage' };
  for (let i = 0; i < 200; i++) {
    const answer = (await card.exchange(SELECT))!;
    assert.ok(answer.length >= 1 && answer.length <= 3);
    if (answer.length >= 2) assert.ok(answer[answer.length - 2]! < 0x60);
  }
});

test('endless 61xx answers 61FF to the command and to every GET RESPONSE', async () => {
  const card = new CardWithFaults(echoCard());
  card.fault = { kind: 'endless-61xx' };
  assert.equal((await card.exchange(SELECT))!.toString('hex'), '61ff');
  const next = (await card.exchange(Buffer.from('00C00000FF', 'hex')))!;
  assert.equal(next.length, 0xff + 2);
  assert.equal(next.subarray(-2).toString('hex'), '61ff');
});

test('huge length fills the largest vpcd frame', async () => {
  const card = new CardWithFaults(echoCard());
  card.fault = { kind: 'huge-length' };
  const answer = (await card.exchange(SELECT))!;
  assert.equal(answer.length, 0xffff);
  assert.equal(answer.subarray(-2).toString('hex'), '9000');
});

test('a disconnect fault is taken once', () => {
  const card = new CardWithFaults(echoCard());
  card.fault = { kind: 'disconnect' };
  assert.equal(card.takeLinkDrop(), true);
  assert.equal(card.takeLinkDrop(), false);
  assert.equal(card.fault.kind, 'none');
});

test('realistic latency counts header, procedure bytes, data and status word at 9600 baud', () => {
  // SELECT with 8 data bytes answering 9000: 5 + 1 + 8 + 2 = 16 bytes, plus 3 ms processing.
  assert.equal(realisticLatencyMs(SELECT, Buffer.from('9000', 'hex')), 16 * MS_PER_BYTE_9600 + 3);
  // READ RECORD of 11 bytes: 5 + 1 + 11 + 2 = 19 bytes.
  const read = realisticLatencyMs(Buffer.from('00B2072C0B', 'hex'), Buffer.alloc(13), 0);
  assert.equal(read, 19 * MS_PER_BYTE_9600);
  // INTERNAL AUTHENTICATE costs card-side cryptography on top of its bytes.
  const auth = realisticLatencyMs(Buffer.from('0088000108' + '00'.repeat(8), 'hex'), Buffer.alloc(10));
  assert.ok(auth > 16 * MS_PER_BYTE_9600 + 10);
});

test('parseFault accepts a kind name or an object and refuses anything else', () => {
  assert.deepEqual(parseFault('slow'), { kind: 'slow' });
  assert.deepEqual(parseFault({ kind: 'slow', delayMs: 500 }), { kind: 'slow', delayMs: 500 });
  assert.throws(() => parseFault('melt'), { code: 'FAULT_KIND' });
  assert.throws(() => parseFault({ kind: 'slow', delayMs: -1 }), { code: 'FAULT_PARAMETER' });
});
