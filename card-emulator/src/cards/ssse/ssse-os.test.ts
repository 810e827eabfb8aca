import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAtr, toHex } from '@sscard/card-core';
import {
  type CardOsProfile,
  defaultProfiles,
  matchCardOs,
  ProfileError,
  ProfileSet,
  type SsseCardOsProfile,
} from '@sscard/firmware-profiles';
import { SSSE_SELECT, send, testKeyset } from '../../testing/card-fixtures.js';
import { type CardDocument, parseCardDocument } from '../card-document.js';
import { createCard } from '../create-card.js';
import { demoCardDocuments } from '../personalise.js';
import { generationOf } from './ssse-os.js';

const [GEN2_DOC, GEN3_DOC] = demoCardDocuments() as [CardDocument, CardDocument];
const FCI_LENGTH = 0x1e;

/** The shipped profiles with one SSSE card OS profile edited: a deployment's own profile directory. */
function profilesWith(generation: 2 | 3, edit: (os: SsseCardOsProfile) => void): ProfileSet {
  const base = defaultProfiles();
  const cardOs = structuredClone([...base.cardOs]) as CardOsProfile[];
  const os = cardOs.find((p): p is SsseCardOsProfile => p.role === 'ssse' && p.generation === generation)!;
  edit(os);
  return new ProfileSet({
    cardOs,
    pcscReaders: [...base.pcscReaders],
    serialReaders: [...base.serialReaders],
    pinPads: [...base.pinPads],
  });
}

function profileErrorCode(e: unknown): string | undefined {
  return e instanceof ProfileError ? e.code : undefined;
}

describe('cards built from their card OS profile', () => {
  for (const doc of [GEN2_DOC, GEN3_DOC]) {
    const generation = generationOf(doc);
    test(`the generation ${generation} demo card's ATR matches the generation ${generation} card OS profile`, () => {
      const card = createCard(doc, testKeyset());
      const os = defaultProfiles().ssseOs(generation);
      assert.equal(matchCardOs(card.atr)?.id, os.id);
      assert.equal(toHex(parseAtr(card.atr).historical.subarray(0, 7)), os.vendorBlock);
      assert.equal(card.profile.id, os.id);
    });
  }

  test('the generation 3 demo card does not show the generation 2 vendor block', () => {
    const gen2 = createCard(GEN2_DOC, testKeyset());
    const gen3 = createCard(GEN3_DOC, testKeyset());
    assert.notEqual(toHex(gen3.atr.subarray(4, 11)), toHex(gen2.atr.subarray(4, 11)));
  });

  test('a generation 3 card answers SELECT with 611E, with or without Le, and gives the FCI through GET RESPONSE', () => {
    const card = createCard(GEN3_DOC, testKeyset());
    card.powerOn();
    assert.equal(defaultProfiles().ssseOs(3).quirks.selectAidAnswer, '611E');
    for (const select of [SSSE_SELECT, `${SSSE_SELECT}00`]) {
      assert.deepEqual(send(card, select), { data: Buffer.alloc(0), sw: '611E' });
      const fci = send(card, '00C000001E');
      assert.equal(fci.sw, '9000');
      assert.equal(fci.data.length, FCI_LENGTH);
      assert.equal(fci.data.subarray(4, 19).toString('hex').toUpperCase(), SSSE_SELECT.slice(10));
      assert.equal(send(card, '00C000001E').sw, '6985');
    }
  });

  test('a generation 2 card answers SELECT with 9000 without Le and the FCI with Le', () => {
    const card = createCard(GEN2_DOC, testKeyset());
    card.powerOn();
    assert.equal(defaultProfiles().ssseOs(2).quirks.selectAidAnswer, '9000');
    assert.deepEqual(send(card, SSSE_SELECT), { data: Buffer.alloc(0), sw: '9000' });
    const withLe = send(card, `${SSSE_SELECT}00`);
    assert.equal(withLe.sw, '9000');
    assert.equal(withLe.data.length, FCI_LENGTH);
  });

  test("a card document's selectAnswers61xx overrides its profile's SELECT answer for that card only", () => {
    const gen3Answering9000 = createCard(
      parseCardDocument({ ...GEN3_DOC, quirks: { selectAnswers61xx: false } }),
      testKeyset(),
    );
    gen3Answering9000.powerOn();
    assert.equal(send(gen3Answering9000, SSSE_SELECT).sw, '9000');
    assert.equal(matchCardOs(gen3Answering9000.atr)?.id, 'sscard-ssse-gen3');
    const gen2Answering611E = createCard(
      parseCardDocument({ ...GEN2_DOC, quirks: { selectAnswers61xx: true } }),
      testKeyset(),
    );
    gen2Answering611E.powerOn();
    assert.equal(send(gen2Answering611E, SSSE_SELECT).sw, '611E');
  });

  test('only the social security application answers 611E: EF selection and the debit application answer as usual', () => {
    const card = createCard(GEN3_DOC, testKeyset());
    card.powerOn();
    assert.equal(send(card, SSSE_SELECT).sw, '611E');
    assert.equal(send(card, '00A4020002EF05').sw, '9000');
    const ppse = send(card, '00A404000E325041592E5359532E444446303100');
    assert.equal(ppse.sw, '9000');
    assert.equal(ppse.data[0], 0x6f);
  });

  test('a card OS profile with another vendor block and SELECT answer changes the card without code', () => {
    const profiles = profilesWith(3, (os) => {
      os.vendorBlock = '0086123456ABCD';
      // Loaded profiles hold hex without spaces: 3B6D0000, chip maker and OS pinned, the rest free.
      os.atr = [
        { value: `3B6D00000086123456${'00'.repeat(8)}`, mask: `FFFFFFFFFFFFFFFFFF${'00'.repeat(8)}` },
      ];
      os.quirks.selectAidAnswer = '9000';
    });
    const card = createCard(GEN3_DOC, testKeyset(), { profiles });
    assert.equal(toHex(card.atr.subarray(4, 11)), '0086123456ABCD');
    assert.equal(profiles.matchCardOs(card.atr)?.id, 'sscard-ssse-gen3');
    assert.equal(matchCardOs(card.atr), undefined, 'the shipped profiles do not know this OS');
    card.powerOn();
    assert.equal(send(card, SSSE_SELECT).sw, '9000');
  });

  test('a card OS that requires the MF first answers 6A82 to SELECT by name until 3F00 is selected', () => {
    const profiles = profilesWith(2, (os) => {
      os.quirks.requiresMfSelectFirst = true;
    });
    const card = createCard(GEN2_DOC, testKeyset(), { profiles });
    card.powerOn();
    assert.equal(send(card, SSSE_SELECT).sw, '6A82');
    assert.equal(send(card, '00A40000023F00').sw, '9000');
    assert.equal(send(card, SSSE_SELECT).sw, '9000');
    card.reset();
    assert.equal(send(card, SSSE_SELECT).sw, '6A82');
  });

  test('refuses a profile whose own ATR patterns reject the ATR its vendor block gives', () => {
    const profiles = profilesWith(3, (os) => {
      os.vendorBlock = '0081544C978684';
    });
    assert.throws(
      () => createCard(GEN3_DOC, testKeyset(), { profiles }),
      (e) => profileErrorCode(e) === 'PROFILE_ATR_MISMATCH',
    );
  });

  test('refuses a profile whose algorithm is not the generation one, and behaviour the card OS does not model', () => {
    const sm4Gen2 = profilesWith(2, (os) => {
      os.algorithm = 'sm4';
    });
    assert.throws(
      () => createCard(GEN2_DOC, testKeyset(), { profiles: sm4Gen2 }),
      (e) => profileErrorCode(e) === 'PROFILE_MISMATCH',
    );
    const noSixC = profilesWith(2, (os) => {
      os.quirks.wrongLeAnswers6Cxx = false;
    });
    assert.throws(
      () => createCard(GEN2_DOC, testKeyset(), { profiles: noSixC }),
      (e) => profileErrorCode(e) === 'PROFILE_NOT_EMULATED',
    );
  });
});
