import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Pcscd, startPcscd, waitFor } from '@sscard/test-harness';
import { testKeyset } from '../testing/card-fixtures.js';
import { type CardDocument, createCard, createPsam, demoCardDocuments } from '../cards/index.js';
import { CardWithFaults } from '../faults.js';
import { runScriptor, ScriptorSession, scanReaders } from '../testing/pcsc-tools.js';
import { VpcdSlot } from './vpcd-client.js';

const SELECT_SSSE = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

const keyset = testKeyset();
const [docA, docB] = demoCardDocuments();
const CARD_A = { doc: docA!, number: docA!.card.cardNumber };
const CARD_B = { doc: docB!, number: docB!.card.cardNumber };

let pcscd: Pcscd;
const slots: VpcdSlot[] = [];

function newSlot(index: number): VpcdSlot {
  const slot = new VpcdSlot({
    port: pcscd.vpcdPorts[index]!,
    name: pcscd.readerNames[index],
    backoff: { maxMs: 200 },
  });
  slots.push(slot);
  return slot;
}

/** A fresh virtual card of the document (the cards OS of cards/index.ts, as the emulator runs it). */
function cardFor(c: { doc: CardDocument }): CardWithFaults {
  return new CardWithFaults(createCard(c.doc, keyset));
}

async function readCardNumber(reader: string): Promise<string | undefined> {
  const run = await runScriptor(pcscd.env, reader, [SELECT_SSSE, '00B2072C0B']);
  const answer = run.exchanges[1]?.response;
  return answer ? Buffer.from(answer.slice(4, -4), 'hex').toString('ascii') : undefined;
}

async function waitForAtr(reader: number, atr: string | undefined): Promise<void> {
  await waitFor(`reader ${reader} to show ATR ${atr}`, async () => {
    const scanned = await scanReaders(pcscd.env);
    return scanned[reader]?.atr === atr;
  });
}

before(async () => {
  pcscd = await startPcscd();
});

after(async () => {
  for (const slot of slots) slot.close();
  await pcscd.stop();
});

test('pcsc_scan lists both vpcd slots of the private pcscd', async () => {
  const readers = await scanReaders(pcscd.env);
  assert.deepEqual(
    readers.map((r) => r.name),
    pcscd.readerNames,
  );
});

test('an inserted card shows its ATR in pcsc_scan, and leaves when removed', async () => {
  const slot = newSlot(0);
  const card = cardFor(CARD_A);
  slot.insert(card);
  await waitForAtr(0, card.atr.toString('hex').toUpperCase());
  slot.remove();
  await waitForAtr(0, undefined);
  const readers = await scanReaders(pcscd.env);
  assert.match(readers[0]!.state, /removed/i);
});

test('scriptor selects the application and reads card number and SSN records by SFI through pcscd', async () => {
  const slot = newSlot(0);
  slot.insert(cardFor(CARD_A));
  const number = await waitFor('the card to answer', () => readCardNumber(pcscd.readerNames[0]!));
  assert.equal(number, CARD_A.number);
  const run = await runScriptor(pcscd.env, pcscd.readerNames[0]!, [SELECT_SSSE, '00B2013414', '00B2FF2C00']);
  const [select, ssn, missing] = run.exchanges.map((e) => e.response);
  assert.equal(select, '9000');
  assert.equal(ssn?.slice(0, 4), '0812');
  assert.equal(Buffer.from(ssn!.slice(4, -4), 'hex').toString('ascii'), CARD_A.doc.holder.ssn);
  assert.equal(ssn?.slice(-4), '9000');
  assert.equal(missing, '6A83');
  slot.close();
  await waitForAtr(0, undefined);
});

test('a card swapped in the middle of a PC/SC session breaks that session, and the new card answers the next one', async () => {
  const slot = newSlot(0);
  slot.insert(cardFor(CARD_A));
  await waitFor('card A', async () => (await readCardNumber(pcscd.readerNames[0]!)) === CARD_A.number);
  const session = new ScriptorSession(pcscd.env, pcscd.readerNames[0]!);
  assert.equal(await session.send(SELECT_SSSE), '9000');
  slot.swap(cardFor(CARD_B));
  const afterSwap = await session.send('00B2072C0B');
  assert.equal(afterSwap, undefined, `the old session must not read the new card: ${session.text}`);
  await session.close();
  const number = await waitFor('card B', async () => {
    const n = await readCardNumber(pcscd.readerNames[0]!);
    return n === CARD_B.number ? n : undefined;
  });
  assert.equal(number, CARD_B.number);
  slot.close();
  await waitForAtr(0, undefined);
});

test('the PSAM slot is independent of the user slot', async () => {
  const user = newSlot(0);
  const sam = newSlot(1);
  const psam = new CardWithFaults(createPsam(keyset));
  const psamAtr = psam.atr;
  sam.insert(psam);
  user.insert(cardFor(CARD_A));
  await waitForAtr(1, psamAtr.toString('hex').toUpperCase());
  user.remove();
  await waitForAtr(0, undefined);
  const readers = await scanReaders(pcscd.env);
  assert.equal(readers[1]?.atr, psamAtr.toString('hex').toUpperCase());
  sam.close();
  await waitForAtr(1, undefined);
});

test('a card stays usable across a pcscd crash and restart', async () => {
  const slot = newSlot(0);
  slot.insert(cardFor(CARD_A));
  await waitFor('card A', async () => (await readCardNumber(pcscd.readerNames[0]!)) === CARD_A.number);
  await pcscd.kill();
  await waitFor('the slot to notice', () => !slot.connected);
  await pcscd.restart();
  const number = await waitFor('card A after restart', async () => readCardNumber(pcscd.readerNames[0]!));
  assert.equal(number, CARD_A.number);
  slot.close();
  await waitForAtr(0, undefined);
});

test('a disconnect fault leaves the next APDU without a status word and the card comes back', async () => {
  const slot = newSlot(0);
  const card = cardFor(CARD_A);
  slot.insert(card);
  await waitFor('card A', async () => (await readCardNumber(pcscd.readerNames[0]!)) === CARD_A.number);
  card.fault = { kind: 'disconnect' };
  const session = new ScriptorSession(pcscd.env, pcscd.readerNames[0]!);
  // vpcd turns the dropped link into a zero-byte response that pcscd reports as success
  // (scriptor: "wrong SW size"); a host must treat fewer than 2 bytes as a broken exchange.
  const answer = await session.send(SELECT_SSSE);
  assert.ok(answer === undefined || answer.length < 4, session.text);
  await session.close();
  assert.equal(card.fault.kind, 'none');
  const number = await waitFor('card A back', async () => readCardNumber(pcscd.readerNames[0]!));
  assert.equal(number, CARD_A.number);
  slot.close();
  await waitForAtr(0, undefined);
});

test('a mute card holds the APDU until it is pulled, then the host gets no status word', async () => {
  const slot = newSlot(0);
  const card = cardFor(CARD_A);
  slot.insert(card);
  await waitFor('card A', async () => (await readCardNumber(pcscd.readerNames[0]!)) === CARD_A.number);
  card.fault = { kind: 'mute' };
  const session = new ScriptorSession(pcscd.env, pcscd.readerNames[0]!);
  try {
    const pending = session.send(SELECT_SSSE);
    await waitFor('scriptor to send', () => session.text.includes('> 00 A4'));
    slot.remove();
    const answer = await pending;
    assert.ok(answer === undefined || answer.length < 4, session.text);
  } finally {
    await session.close();
  }
});
