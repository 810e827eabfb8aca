import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildSsseAtr,
  cardMac,
  challengeBlock,
  pinUnblockMacInput,
  decodeRecord,
  encodeRecord,
  encrypt,
  historicalBytesFor,
  paymentProofBlock,
  ssseCardKey,
} from '@sscard/card-core';
import { defaultProfiles, matchCardOs } from '@sscard/firmware-profiles';
import {
  SSSE_SELECT,
  apdu,
  countingRandom,
  selectSsse,
  send,
  testKeyset,
} from '../../testing/card-fixtures.js';
import { type CardDocument, parseCardDocument } from '../card-document.js';
import { createCard } from '../create-card.js';
import { demoCardDocuments } from '../personalise.js';
import { createPsam } from '../psam/psam.js';
import type { SsseCard } from './ssse-card.js';
import { generationOf } from './ssse-os.js';

const [GEN2_DOC, GEN3_DOC] = demoCardDocuments() as [CardDocument, CardDocument];

function poweredCard(doc: CardDocument): SsseCard {
  const card = createCard(doc, testKeyset(), { random: countingRandom() });
  card.powerOn();
  return card;
}

/** Powered, with the application selected the way its card OS answers (GET RESPONSE after 611E). */
function selectedCard(doc: CardDocument): SsseCard {
  const card = poweredCard(doc);
  selectSsse(card);
  return card;
}

/** Terminal side with the PSAM: GET CHALLENGE on the card, the PSAM encrypts, EXTERNAL AUTHENTICATE. */
function externalAuthenticate(card: SsseCard): string {
  const psam = createPsam(testKeyset());
  psam.powerOn();
  assert.equal(send(psam, '00A4040008D156000005505341').sw, '9000');
  const alg = card.algorithm === '3des' ? '01' : '04';
  assert.equal(send(psam, `801A02${alg}10${card.document.card.cardIdCode}`).sw, '9000');
  const challenge = send(card, '0084000008').data;
  const block = challengeBlock(card.algorithm, challenge);
  const cryptogram = send(psam, apdu('80FA0000', block, 0)).data;
  return send(card, apdu('00820002', cryptogram)).sw;
}

for (const [label, doc] of [
  ['generation 2', GEN2_DOC],
  ['generation 3', GEN3_DOC],
] as const) {
  describe(`${label} card`, () => {
    test('answers reset with 3B6D0000, its card OS vendor block and the bytes of its identification code', () => {
      const card = createCard(doc, testKeyset());
      const os = defaultProfiles().ssseOs(generationOf(doc));
      assert.deepEqual(card.powerOn(), buildSsseAtr(historicalBytesFor(doc.card.cardIdCode, os.vendorBlock)));
      assert.equal(matchCardOs(card.atr)?.id, os.id);
    });

    test('reads the card number by SFI: 00B2072C0B', () => {
      const card = selectedCard(doc);
      const res = send(card, '00B2072C0B');
      assert.equal(res.sw, '9000');
      assert.equal(decodeRecord('cardNumber', res.data), doc.card.cardNumber);
    });

    test('reads the card identification code in the current EF with P2=04 after SELECT EF05', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00A4020002EF05').sw, '9000');
      const res = send(card, '00B2010400');
      assert.equal(decodeRecord('cardIdCode', res.data), doc.card.cardIdCode);
    });

    test('returns the whole record for Le 00 and 6Cxx with the record length for a wrong or missing Le', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00B2072C00').data.length, 11);
      assert.deepEqual(send(card, '00B2072C05'), { data: Buffer.alloc(0), sw: '6C0B' });
      assert.equal(send(card, '00B2072C').sw, '6C0B');
    });

    test('answers 6A83 for a missing record and a missing tag', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00B2082C00').sw, '6A83');
      assert.equal(send(card, '00A4020002EF05').sw, '9000');
      assert.equal(send(card, '00B2FE0000').sw, '6A83');
      assert.equal(send(card, '00B2000400').sw, '6A83');
    });

    test('answers 6A82 for files that do not exist', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00A4020002EF07').sw, '6A82');
      assert.equal(send(card, '00B2013C00').sw, '6A82');
      assert.equal(send(card, '00A4040005D156000099').sw, '6A82');
      assert.equal(send(card, '00A40000023F00').sw, '9000');
      assert.equal(send(card, '00B2012C00').sw, '6A82');
    });

    test('selects EF05 by path from the MF and by FID with P1 00', () => {
      const card = poweredCard(doc);
      assert.equal(send(card, '00A4080004DDF1EF05').sw, '9000');
      assert.equal(decodeRecord('cardType', send(card, '00B2020400').data), doc.card.cardType);
      selectSsse(card);
      assert.equal(send(card, '00A4000002EF05').sw, '9000');
      assert.equal(send(card, '00B2070400').sw, '9000');
    });

    test('answers 6986 to READ RECORD of the current EF when none is selected', () => {
      assert.equal(send(selectedCard(doc), '00B2010400').sw, '6986');
    });

    test('answers 6A86 to unsupported P1/P2 of SELECT and READ RECORD', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00A4030002EF05').sw, '6A86');
      assert.equal(send(card, '00A4020402EF05').sw, '6A86');
      assert.equal(send(card, '00B2012D00').sw, '6A86');
    });

    test('answers 6E00 to an unknown class and to a class the instruction does not take', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, 'A0B2072C0B').sw, '6E00');
      assert.equal(send(card, '80B2072C0B').sw, '6E00');
      assert.equal(send(card, apdu('80200000', Buffer.from('123456', 'hex'))).sw, '6E00');
    });

    test('answers 6D00 to an unknown instruction', () => {
      assert.equal(send(selectedCard(doc), '00FE000000').sw, '6D00');
    });

    test('answers 6700 to malformed, extended and wrong-length commands', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00B207').sw, '6700');
      assert.equal(send(card, '00A4040005D156').sw, '6700');
      assert.equal(send(card, '00B2072C000100').sw, '6700');
      assert.equal(send(card, '00A4020001EF').sw, '6700');
      assert.equal(send(card, '0084000005').sw, '6700');
    });

    test('verifies the PIN and counts down wrong tries to a blocked PIN', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '0020000003123456').sw, '9000');
      assert.equal(send(card, '0020000003111111').sw, '63C2');
      assert.equal(send(card, '0020000003111111').sw, '63C1');
      assert.equal(send(card, '0020000000').sw, '63C1');
      assert.equal(send(card, '0020000003111111').sw, '63C0');
      assert.equal(send(card, '0020000003123456').sw, '6983');
      card.reset();
      send(card, SSSE_SELECT);
      assert.equal(send(card, '0020000003123456').sw, '6983');
    });

    test('answers 6700 to a PIN of the wrong length and 6A80 to a PIN that is not BCD', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00200000021234').sw, '6700');
      assert.equal(send(card, '002000000312345A').sw, '6A80');
      assert.equal(send(card, '0020000003123456').sw, '9000');
    });

    test('changes the PIN with the old one and counts a wrong old PIN as a failed try', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '805E010007111111FF654321').sw, '63C2');
      assert.equal(send(card, '805E010007123456EE654321').sw, '6A80');
      assert.equal(send(card, '805E010007123456FF654321').sw, '9000');
      assert.equal(send(card, '0020000003123456').sw, '63C2');
      assert.equal(send(card, '0020000003654321').sw, '9000');
    });

    test('reloads a blocked PIN with a MAC under the pinReload key over a fresh challenge', () => {
      const card = selectedCard(doc);
      for (let i = 0; i < 3; i++) send(card, '0020000003000000');
      assert.equal(send(card, '0020000003123456').sw, '6983');
      const newPin = Buffer.from('246810', 'hex');
      assert.equal(send(card, apdu('805E0000', Buffer.concat([newPin, Buffer.alloc(4)]))).sw, '6985');
      const key = ssseCardKey(
        card.algorithm,
        Buffer.from(testKeyset().ssse[card.algorithm].pinReload, 'hex'),
        Buffer.from(doc.card.cardIdCode, 'hex'),
      );
      let challenge = send(card, '0084000008').data;
      const badMac = Buffer.alloc(4, 0xaa);
      assert.equal(send(card, apdu('805E0000', Buffer.concat([newPin, badMac]))).sw, '6988');
      challenge = send(card, '0084000008').data;
      const mac = cardMac(card.algorithm, key, newPin, challengeBlock(card.algorithm, challenge));
      assert.equal(send(card, apdu('805E0000', Buffer.concat([newPin, mac]))).sw, '9000');
      assert.equal(send(card, '0020000003246810').sw, '9000');
    });

    test('unblocks a blocked PIN, keeping it, with a MAC over the PIN UNBLOCK header', () => {
      const card = selectedCard(doc);
      for (let i = 0; i < 3; i++) send(card, '0020000003000000');
      assert.equal(send(card, '0020000003123456').sw, '6983');
      assert.equal(send(card, apdu('84240000', Buffer.alloc(4))).sw, '6985');
      const key = ssseCardKey(
        card.algorithm,
        Buffer.from(testKeyset().ssse[card.algorithm].pinReload, 'hex'),
        Buffer.from(doc.card.cardIdCode, 'hex'),
      );
      let challenge = send(card, '0084000008').data;
      // A MAC over the RELOAD PIN data does not unblock: the MAC covers the command it is for.
      const reloadMac = cardMac(
        card.algorithm,
        key,
        Buffer.from('123456', 'hex'),
        challengeBlock(card.algorithm, challenge),
      );
      assert.equal(send(card, apdu('84240000', reloadMac)).sw, '6988');
      challenge = send(card, '0084000008').data;
      const mac = cardMac(
        card.algorithm,
        key,
        pinUnblockMacInput(),
        challengeBlock(card.algorithm, challenge),
      );
      assert.equal(send(card, apdu('84240000', mac)).sw, '9000');
      assert.equal(send(card, '0020000003000000').sw, '63C2');
      assert.equal(send(card, '0020000003123456').sw, '9000');
    });

    test('gives 4 or 8 challenge bytes and honours a challenge for the next command only', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '0084000004').data.length, 4);
      assert.equal(send(card, '0084000008').data.length, 8);
      assert.equal(send(card, '0084010008').sw, '6A86');
      const keys = testKeyset().ssse[card.algorithm];
      const key = ssseCardKey(
        card.algorithm,
        Buffer.from(keys.externalAuth, 'hex'),
        Buffer.from(doc.card.cardIdCode, 'hex'),
      );
      const challenge = send(card, '0084000008').data;
      send(card, '00B2072C0B');
      const cryptogram = encrypt(card.algorithm, key, challengeBlock(card.algorithm, challenge), {
        mode: 'ecb',
      });
      assert.equal(send(card, apdu('00820002', cryptogram)).sw, '6985');
    });

    test('authenticates itself with the same block the PSAM computes for the same challenge', () => {
      const card = selectedCard(doc);
      const psam = createPsam(testKeyset());
      psam.powerOn();
      send(psam, '00A4040008D156000005505341');
      const alg = card.algorithm === '3des' ? '01' : '04';
      assert.equal(send(psam, `801A01${alg}10${doc.card.cardIdCode}`).sw, '9000');
      const challenge = Buffer.alloc(card.algorithm === '3des' ? 8 : 16, 0x5a);
      const fromCard = send(card, apdu('00880001', challenge, 0));
      const fromPsam = send(psam, apdu('80FA0000', challenge, 0));
      assert.equal(fromCard.sw, '9000');
      assert.equal(fromCard.data.length, challenge.length);
      assert.deepEqual(fromCard.data, fromPsam.data);
    });

    test('answers a payment proof over the complement of the challenge only after VERIFY in the session', () => {
      const card = selectedCard(doc);
      const key = ssseCardKey(
        card.algorithm,
        Buffer.from(testKeyset().ssse[card.algorithm].internalAuth, 'hex'),
        Buffer.from(doc.card.cardIdCode, 'hex'),
      );
      const challenge = Buffer.alloc(card.algorithm === '3des' ? 8 : 16, 0x3c);
      assert.equal(send(card, apdu('00880101', challenge, 0)).sw, '6982');
      const pin = doc.pin.value;
      const wrong = `${pin[0] === '0' ? '1' : '0'}${pin.slice(1)}`;
      assert.match(send(card, `0020000003${wrong}`).sw, /^63C/);
      assert.equal(send(card, apdu('00880101', challenge, 0)).sw, '6982', 'a wrong PIN does not open it');
      assert.equal(send(card, `0020000003${pin}`).sw, '9000');
      const proof = send(card, apdu('00880101', challenge, 0));
      assert.equal(proof.sw, '9000');
      assert.deepEqual(
        proof.data,
        encrypt(card.algorithm, key, paymentProofBlock(challenge), { mode: 'ecb' }),
      );
      assert.notDeepEqual(proof.data, send(card, apdu('00880001', challenge, 0)).data);
      // A new selection of the application starts a new session, without the verified PIN.
      send(card, SSSE_SELECT);
      assert.equal(send(card, apdu('00880101', challenge, 0)).sw, '6982');
      assert.equal(send(card, apdu('00880201', challenge, 0)).sw, '6A86');
    });

    test('answers 6A88 for an unknown key id and 6700 for a challenge that is not one block', () => {
      const card = selectedCard(doc);
      const block = card.algorithm === '3des' ? 8 : 16;
      assert.equal(send(card, apdu('00880002', Buffer.alloc(block), 0)).sw, '6A88');
      assert.equal(send(card, apdu('00880001', Buffer.alloc(block + 1), 0)).sw, '6700');
      assert.equal(
        send(card, apdu('00880001', Buffer.alloc(block))).sw,
        `61${block.toString(16).toUpperCase().padStart(2, '0')}`,
      );
    });

    test('fails the PSAM comparison when personalised with other keys', () => {
      const forged = parseCardDocument({ ...doc, keyOverride: { internalAuth: '11'.repeat(16) } });
      const card = selectedCard(forged);
      const psam = createPsam(testKeyset());
      psam.powerOn();
      send(psam, '00A4040008D156000005505341');
      send(psam, `801A01${card.algorithm === '3des' ? '01' : '04'}10${doc.card.cardIdCode}`);
      const challenge = Buffer.alloc(card.algorithm === '3des' ? 8 : 16, 0x33);
      assert.notDeepEqual(
        send(card, apdu('00880001', challenge, 0)).data,
        send(psam, apdu('80FA0000', challenge, 0)).data,
      );
    });

    test('rejects a wrong external authentication cryptogram with 6300', () => {
      const card = selectedCard(doc);
      send(card, '0084000008');
      assert.equal(send(card, apdu('00820002', Buffer.alloc(card.algorithm === '3des' ? 8 : 16))).sw, '6300');
    });

    test('updates a record only after external authentication, with a MAC under the update key', () => {
      const card = selectedCard(doc);
      const record = encodeRecord('ethnicity', '03');
      assert.equal(send(card, apdu('00DC052C', Buffer.concat([record, Buffer.alloc(4)]))).sw, '6982');
      assert.equal(send(card, apdu('04DC052C', Buffer.concat([record, Buffer.alloc(4)]))).sw, '6982');
      assert.equal(externalAuthenticate(card), '9000');
      const key = ssseCardKey(
        card.algorithm,
        Buffer.from(testKeyset().ssse[card.algorithm].update, 'hex'),
        Buffer.from(doc.card.cardIdCode, 'hex'),
      );
      const secured = (rec: Buffer, badMac = false) => {
        const challenge = send(card, '0084000008').data;
        const header = Buffer.from([0x04, 0xdc, 0x05, 0x34, rec.length + 4]);
        const mac = cardMac(
          card.algorithm,
          key,
          Buffer.concat([header, rec]),
          challengeBlock(card.algorithm, challenge),
        );
        if (badMac) mac[0]! ^= 0xff;
        return send(card, apdu('04DC0534', Buffer.concat([rec, mac])));
      };
      assert.equal(secured(record, true).sw, '6988');
      assert.equal(secured(encodeRecord('gender', '1')).sw, '6A80');
      assert.equal(secured(record).sw, '9000');
      assert.equal(decodeRecord('ethnicity', send(card, '00B2053400').data), '03');
    });

    test('answers 6985 to GET RESPONSE with nothing pending and 6F00 while unpowered', () => {
      const card = selectedCard(doc);
      assert.equal(send(card, '00C0000000').sw, '6985');
      card.powerOff();
      assert.equal(send(card, SSSE_SELECT).sw, '6F00');
    });
  });
}

describe('holder data access', () => {
  test('a generation 2 card reads the SSN with 00B2013414 and by tag with 00B2080014 without authentication', () => {
    const card = selectedCard(GEN2_DOC);
    const bySfi = send(card, '00B2013414');
    assert.equal(bySfi.sw, '9000');
    assert.equal(decodeRecord('ssn', bySfi.data), GEN2_DOC.holder.ssn);
    assert.equal(send(card, '00A4020002EF06').sw, '9000');
    assert.deepEqual(send(card, '00B2080014'), bySfi);
    assert.equal(decodeRecord('name', send(card, '00B2090000').data), GEN2_DOC.holder.name);
  });

  test('a generation 3 card refuses EF06 with 6982 before external authentication and releases it after', () => {
    const card = selectedCard(GEN3_DOC);
    assert.equal(send(card, '00B2013414').sw, '6982');
    assert.equal(send(card, '00A4020002EF06').sw, '9000');
    assert.equal(send(card, '00B2080014').sw, '6982');
    assert.equal(externalAuthenticate(card), '9000');
    assert.equal(decodeRecord('ssn', send(card, '00B2013414').data), GEN3_DOC.holder.ssn);
    assert.equal(decodeRecord('ssn', send(card, '00B2080014').data), GEN3_DOC.holder.ssn);
    assert.equal(decodeRecord('birthDate', send(card, '00B2073400').data), GEN3_DOC.holder.birthDate);
  });

  test('re-selecting the application or resetting the card clears external authentication', () => {
    const card = selectedCard(GEN3_DOC);
    assert.equal(externalAuthenticate(card), '9000');
    selectSsse(card);
    assert.equal(send(card, '00B2013414').sw, '6982');
    assert.equal(externalAuthenticate(card), '9000');
    card.reset();
    send(card, SSSE_SELECT);
    assert.equal(send(card, '00B2013414').sw, '6982');
  });
});

describe('T=0 FCI waiting', () => {
  test('a card with the 611E behaviour answers SELECT with 611E and the FCI through GET RESPONSE', () => {
    const card = poweredCard(parseCardDocument({ ...GEN2_DOC, quirks: { selectAnswers61xx: true } }));
    assert.deepEqual(send(card, SSSE_SELECT), { data: Buffer.alloc(0), sw: '611E' });
    const fci = send(card, '00C000001E');
    assert.equal(fci.sw, '9000');
    assert.equal(fci.data[0], 0x6f);
    assert.equal(fci.data.length, 0x1e);
    assert.equal(send(card, '00C000001E').sw, '6985');
  });

  test('GET RESPONSE with a shorter Le leaves the rest pending and a longer one gets 6Cxx', () => {
    const card = poweredCard(parseCardDocument({ ...GEN2_DOC, quirks: { selectAnswers61xx: true } }));
    send(card, SSSE_SELECT);
    assert.equal(send(card, '00C0000020').sw, '6C1E');
    const head = send(card, '00C0000010');
    assert.equal(head.sw, '610E');
    const tail = send(card, '00C000000E');
    assert.equal(tail.sw, '9000');
    assert.equal(Buffer.concat([head.data, tail.data]).length, 0x1e);
  });
});
