import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { cardMac, challengeBlock, decodeRecord, encodeRecord, ssseCardKey } from '@sscard/card-core';
import { tempDirSync } from '@sscard/test-harness';
import { apdu, selectSsse, send, testKeyset } from '../testing/card-fixtures.js';
import type { CardDocument } from './card-document.js';
import { CardMemoryError, CardMemoryStore, MemoryBackedCard } from './card-memory.js';
import { createCard } from './create-card.js';
import { DEBIT_AID } from './debit/debit-data.js';
import { demoCardDocuments } from './personalise.js';
import { createPsam } from './psam/psam.js';

const [GEN2_DOC, GEN3_DOC] = demoCardDocuments() as [CardDocument, CardDocument];
const WRONG_PIN = '0020000003999999';
const PIN_STATE = '00200000';

/** A card as the emulator makes it at start: the chip of the document, its memory from the store. */
function powered(doc: CardDocument, store: CardMemoryStore): MemoryBackedCard {
  const card = new MemoryBackedCard(createCard(doc, testKeyset()), store);
  card.powerOn();
  selectSsse(card);
  return card;
}

function gpo(card: MemoryBackedCard): string {
  assert.equal(send(card, apdu('00A40400', Buffer.from(DEBIT_AID), 0)).sw, '9000');
  // The PDOL's data: TTQ, amounts, country, TVR, currency, date, type, unpredictable number.
  const pdol = Buffer.from('280000000000000100000000000000000156000000000001562406010011223344', 'hex');
  const answer = send(card, apdu('80A80000', Buffer.concat([Buffer.from([0x83, pdol.length]), pdol]), 0));
  return answer.sw;
}

/** The terminal side of a secured UPDATE RECORD of EF06's ethnicity (record 5) on a generation 2 card. */
function updateEthnicity(card: MemoryBackedCard, doc: CardDocument, code: string): string {
  const alg = card.inner.algorithm;
  const psam = createPsam(testKeyset());
  psam.powerOn();
  assert.equal(send(psam, '00A4040008D156000005505341').sw, '9000');
  assert.equal(send(psam, `801A02${alg === '3des' ? '01' : '04'}10${doc.card.cardIdCode}`).sw, '9000');
  const authChallenge = send(card, '0084000008').data;
  const cryptogram = send(psam, apdu('80FA0000', challengeBlock(alg, authChallenge), 0)).data;
  assert.equal(send(card, apdu('00820002', cryptogram)).sw, '9000');
  const key = ssseCardKey(
    alg,
    Buffer.from(testKeyset().ssse[alg].update, 'hex'),
    Buffer.from(doc.card.cardIdCode, 'hex'),
  );
  const record = encodeRecord('ethnicity', code);
  const challenge = send(card, '0084000008').data;
  const header = Buffer.from([0x04, 0xdc, 0x05, 0x34, record.length + 4]);
  const mac = cardMac(alg, key, Buffer.concat([header, record]), challengeBlock(alg, challenge));
  return send(card, apdu('04DC0534', Buffer.concat([record, mac]))).sw;
}

describe('card memory across emulator restarts', () => {
  test('PIN tries and a blocked PIN survive: the card made again from its document is still blocked', () => {
    const store = new CardMemoryStore(tempDirSync('sscard-memory-'));
    const first = powered(GEN2_DOC, store);
    assert.equal(send(first, WRONG_PIN).sw, '63C2');
    assert.equal(send(powered(GEN2_DOC, store), PIN_STATE).sw, '63C2');

    const second = powered(GEN2_DOC, store);
    assert.equal(send(second, WRONG_PIN).sw, '63C1');
    assert.equal(send(second, WRONG_PIN).sw, '63C0');
    const third = powered(GEN2_DOC, store);
    assert.equal(send(third, `0020000003${GEN2_DOC.pin.value}`).sw, '6983');
  });

  test('a record written by a secured UPDATE RECORD is read back after a restart', () => {
    const store = new CardMemoryStore(tempDirSync('sscard-memory-'));
    const card = powered(GEN2_DOC, store);
    assert.equal(updateEthnicity(card, GEN2_DOC, '03'), '9000');
    const again = powered(GEN2_DOC, store);
    assert.equal(decodeRecord('ethnicity', send(again, '00B2053400').data), '03');
  });

  test("the debit application's transaction counter goes on from where it was", () => {
    const store = new CardMemoryStore(tempDirSync('sscard-memory-'));
    const card = powered(GEN3_DOC, store);
    assert.equal(gpo(card), '9000');
    assert.equal(gpo(card), '9000');
    const again = powered(GEN3_DOC, store);
    assert.equal(send(again, apdu('00A40400', Buffer.from(DEBIT_AID), 0)).sw, '9000');
    assert.equal(send(again, '80CA9F3600').data.toString('hex'), '9f36020002');
  });

  test('one file per card, mode 0600, no temporary file left behind', () => {
    const dir = tempDirSync('sscard-memory-');
    const store = new CardMemoryStore(dir);
    send(powered(GEN2_DOC, store), WRONG_PIN);
    send(powered(GEN3_DOC, store), WRONG_PIN);
    assert.deepEqual(
      readdirSync(dir).sort(),
      [`${GEN2_DOC.card.cardNumber}.json`, `${GEN3_DOC.card.cardNumber}.json`].sort(),
    );
    assert.equal(statSync(join(dir, `${GEN2_DOC.card.cardNumber}.json`)).mode & 0o777, 0o600);
  });

  test('commands that change nothing write nothing', () => {
    const dir = tempDirSync('sscard-memory-');
    const card = powered(GEN2_DOC, new CardMemoryStore(dir));
    send(card, '00B2072C0B');
    send(card, `0020000003${GEN2_DOC.pin.value}`);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('a write that fails answers 6581 and leaves the memory as it was on disk', () => {
    const dir = tempDirSync('sscard-memory-');
    const store = new CardMemoryStore(dir);
    const card = powered(GEN2_DOC, store);
    // A directory where the file would go: the rename over it fails, as a full or broken disk would.
    mkdirSync(store.pathOf(card.id));
    assert.equal(send(card, WRONG_PIN).sw, '6581');
    assert.equal(send(card, PIN_STATE).sw, '63C3');
    assert.deepEqual(readdirSync(dir), [`${card.id}.json`]);
  });

  test('a damaged or foreign memory file stops the card from being made, naming the file', () => {
    const dir = tempDirSync('sscard-memory-');
    const store = new CardMemoryStore(dir);
    const path = store.pathOf(GEN2_DOC.card.cardNumber);
    writeFileSync(path, '{"format":"sscard-card-memory/1"');
    assert.throws(
      () => powered(GEN2_DOC, store),
      (e) => e instanceof CardMemoryError && e.message.includes(path),
    );

    send(powered(GEN3_DOC, store), WRONG_PIN);
    const gen3 = readFileSync(store.pathOf(GEN3_DOC.card.cardNumber), 'utf8');
    writeFileSync(path, gen3);
    assert.throws(() => powered(GEN2_DOC, store), { code: 'CARD_MEMORY_INVALID' });
    const parsed = JSON.parse(gen3) as { card: string };
    parsed.card = GEN2_DOC.card.cardNumber;
    writeFileSync(path, JSON.stringify(parsed));
    assert.throws(() => powered(GEN2_DOC, store), { code: 'CARD_MEMORY_MISMATCH' });
  });

  test('a record that does not fit the personalised file is refused whole, the PIN included', () => {
    const store = new CardMemoryStore(tempDirSync('sscard-memory-'));
    const card = powered(GEN2_DOC, store);
    send(card, WRONG_PIN);
    const path = store.pathOf(card.id);
    const file = JSON.parse(readFileSync(path, 'utf8')) as {
      memory: { ssse: { pin: { triesLeft: number }; ef06: string[] } };
    };
    file.memory.ssse.pin.triesLeft = 0;
    file.memory.ssse.ef06[1] = `09${(60).toString(16).toUpperCase()}${'41'.repeat(60)}`;
    writeFileSync(path, JSON.stringify(file));
    const chip = createCard(GEN2_DOC, testKeyset());
    assert.throws(() => new MemoryBackedCard(chip, store), { code: 'CARD_MEMORY_MISMATCH' });
    chip.powerOn();
    selectSsse(chip);
    assert.equal(send(chip, PIN_STATE).sw, '63C3');
  });
});
