import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSsseAtr, decodeRecord, historicalBytesFor } from '@sscard/card-core';
import { defaultProfiles, matchCardOs } from '@sscard/firmware-profiles';
import { createAlteredCard } from './altered-card.js';
import type { CardDocument } from './card-document.js';
import { apdu, SSSE_SELECT, selectSsse, send, testKeyset } from '../testing/card-fixtures.js';
import { createCard } from './create-card.js';
import { cardIdCodeFor, demoCardDocuments } from './personalise.js';
import { createPsam } from './psam/psam.js';

const [GEN2_DOC, GEN3_DOC] = demoCardDocuments() as [CardDocument, CardDocument];
const GEN2_VENDOR = defaultProfiles().ssseOs(2).vendorBlock;
const GEN3_VENDOR = defaultProfiles().ssseOs(3).vendorBlock;
const OTHER_ID = cardIdCodeFor('330300', 4242);

describe('altered cards', () => {
  test('answer the rewritten identification code and present the ATR it implies', () => {
    const card = createAlteredCard(GEN2_DOC, testKeyset(), { fields: { cardIdCode: OTHER_ID } });
    assert.deepEqual(card.atr, buildSsseAtr(historicalBytesFor(OTHER_ID, GEN2_VENDOR)));
    card.powerOn();
    assert.equal(send(card, SSSE_SELECT).sw, '9000');
    const read = send(card, '00B2012C12');
    assert.equal(read.sw, '9000');
    assert.equal(decodeRecord('cardIdCode', read.data), OTHER_ID);
  });

  test('keep the internal authentication key of the identification code they were issued with', () => {
    const card = createAlteredCard(GEN2_DOC, testKeyset(), { fields: { cardIdCode: OTHER_ID } });
    card.powerOn();
    send(card, SSSE_SELECT);
    const challenge = Buffer.alloc(8, 0x5a);
    const answer = send(card, apdu('00880001', challenge, 0));
    assert.equal(answer.sw, '9000');
    const psamCryptogram = (cardIdCode: string) => {
      const psam = createPsam(testKeyset());
      psam.powerOn();
      send(psam, '00A4040008D156000005505341');
      assert.equal(send(psam, `801A010110${cardIdCode}`).sw, '9000');
      return send(psam, apdu('80FA0000', challenge, 0)).data;
    };
    assert.deepEqual(answer.data, psamCryptogram(GEN2_DOC.card.cardIdCode));
    assert.notDeepEqual(answer.data, psamCryptogram(OTHER_ID));
  });

  test('write an SSN with a wrong check character as the bytes given', () => {
    const ssn = GEN2_DOC.holder.ssn;
    const wrong = ssn.slice(0, 17) + (ssn[17] === '0' ? '1' : '0');
    const card = createAlteredCard(GEN2_DOC, testKeyset(), { fields: { ssn: wrong }, atr: 'personalised' });
    assert.deepEqual(card.atr, createCard(GEN2_DOC, testKeyset()).atr);
    card.powerOn();
    send(card, SSSE_SELECT);
    const read = send(card, '00B2013414');
    assert.equal(read.sw, '9000');
    assert.equal(read.data.subarray(2).toString('latin1'), wrong);
    assert.throws(() => decodeRecord('ssn', read.data), /check/i);
  });

  test("keep their chip's card OS: a generation 3 chip with a generation 2 card's data shows the generation 3 vendor block and answers 611E", () => {
    const victimId = GEN2_DOC.card.cardIdCode;
    const card = createAlteredCard(GEN3_DOC, testKeyset(), { fields: { cardIdCode: victimId } });
    assert.deepEqual(card.atr, buildSsseAtr(historicalBytesFor(victimId, GEN3_VENDOR)));
    assert.equal(matchCardOs(card.atr)?.id, defaultProfiles().ssseOs(3).id);
    card.powerOn();
    assert.equal(send(card, SSSE_SELECT).sw, '611E');
    selectSsse(card);
    assert.equal(decodeRecord('cardIdCode', send(card, '00B2012C12').data), victimId);
  });

  test('with atr personalised, present exactly the ATR the chip was issued with', () => {
    const card = createAlteredCard(GEN3_DOC, testKeyset(), {
      fields: { cardIdCode: GEN2_DOC.card.cardIdCode },
      atr: 'personalised',
    });
    assert.deepEqual(card.atr, createCard(GEN3_DOC, testKeyset()).atr);
  });
});
