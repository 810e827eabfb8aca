import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encrypt, ssseCardKey } from '@sscard/card-core';
import { defaultProfiles, matchCardOs, ProfileSet } from '@sscard/firmware-profiles';
import { apdu, send, testKeyset } from '../../testing/card-fixtures.js';
import { demoCardDocuments } from '../personalise.js';
import { createPsam } from './psam.js';

const CARD_ID = demoCardDocuments()[1]!.card.cardIdCode;
const SELECT_PSAM = '00A4040008D156000005505341';

function selectedPsam(options: Parameters<typeof createPsam>[1] = {}) {
  const psam = createPsam(testKeyset(), options);
  psam.powerOn();
  assert.equal(send(psam, SELECT_PSAM).sw, '9000');
  return psam;
}

test('answers reset with 3B680000, PSAM and its serial', () => {
  const psam = createPsam(testKeyset(), { serial: '0A0B0C0D' });
  assert.equal(psam.powerOn().toString('hex').toUpperCase(), '3B680000' + '5053414D' + '0A0B0C0D');
  assert.equal(psam.id, 'psam-0A0B0C0D');
});

test('takes its ATR prefix and SELECT answer from the PSAM card OS profile, which its ATR matches', () => {
  const psam = createPsam(testKeyset(), { serial: '0A0B0C0D' });
  const os = defaultProfiles().psamOs();
  assert.equal(psam.atr.subarray(0, 8).toString('hex').toUpperCase(), os.atrPrefix);
  assert.equal(matchCardOs(psam.atr)?.id, os.id);
  assert.equal(psam.profile.id, os.id);
  psam.powerOn();
  assert.equal(send(psam, SELECT_PSAM).sw, os.quirks.selectAidAnswer);
});

test('a PSAM profile answering 61xx hands the FCI out through GET RESPONSE', () => {
  const base = defaultProfiles();
  const cardOs = structuredClone([...base.cardOs]);
  const os = cardOs.find((p) => p.role === 'psam')!;
  os.quirks.selectAidAnswer = '611E';
  const profiles = new ProfileSet({
    cardOs,
    pcscReaders: [...base.pcscReaders],
    serialReaders: [...base.serialReaders],
    pinPads: [...base.pinPads],
  });
  const psam = createPsam(testKeyset(), { profiles });
  psam.powerOn();
  assert.equal(send(psam, SELECT_PSAM).sw, '610C');
  const fci = send(psam, '00C000000C');
  assert.equal(fci.sw, '9000');
  assert.equal(fci.data.subarray(4).toString('hex').toUpperCase(), SELECT_PSAM.slice(10));
});

test('encrypts a block under the diversified key of the card named in 801A', () => {
  const psam = selectedPsam();
  assert.equal(send(psam, `801A0204 10${CARD_ID}`).sw, '9000');
  const block = Buffer.alloc(16, 0x21);
  const res = send(psam, apdu('80FA0000', block, 0));
  const key = ssseCardKey(
    'sm4',
    Buffer.from(testKeyset().ssse.sm4.externalAuth, 'hex'),
    Buffer.from(CARD_ID, 'hex'),
  );
  assert.equal(res.sw, '9000');
  assert.deepEqual(res.data, encrypt('sm4', key, block, { mode: 'ecb' }));
});

test('answers 6985 to 80FA without a prepared key, and after re-selection', () => {
  const psam = selectedPsam();
  assert.equal(send(psam, apdu('80FA0000', Buffer.alloc(8), 0)).sw, '6985');
  send(psam, `801A0101 10${CARD_ID}`);
  assert.equal(send(psam, SELECT_PSAM).sw, '9000');
  assert.equal(send(psam, apdu('80FA0000', Buffer.alloc(8), 0)).sw, '6985');
});

test('answers 6A81 for an unsupported algorithm and 6A88 for a master key it does not hold', () => {
  const psam = selectedPsam();
  assert.equal(send(psam, `801A0102 10${CARD_ID}`).sw, '6A81');
  // Key id 04 (update) is never a PSAM's; 03 (PIN reload) only when it was given that key.
  assert.equal(send(psam, `801A0401 10${CARD_ID}`).sw, '6A88');
  assert.equal(send(psam, `801A0301 10${CARD_ID}`).sw, '9000');
  assert.equal(
    send(selectedPsam({ keys: ['internalAuth', 'externalAuth'] }), `801A0301 10${CARD_ID}`).sw,
    '6A88',
  );
  const withoutSm4 = selectedPsam({ algorithms: ['3des'] });
  assert.equal(send(withoutSm4, `801A0104 10${CARD_ID}`).sw, '6A81');
  const withoutRksse = selectedPsam({ keys: ['internalAuth'] });
  assert.equal(send(withoutRksse, `801A0204 10${CARD_ID}`).sw, '6A88');
  assert.equal(send(withoutRksse, `801A0104 10${CARD_ID}`).sw, '9000');
});

test('answers 6700 to a wrong length and 6A80 to an invalid identification code', () => {
  const psam = selectedPsam();
  assert.equal(send(psam, `801A0101 0F${CARD_ID.slice(0, 30)}`).sw, '6700');
  assert.equal(send(psam, `801A0101 10${'00'.repeat(16)}`).sw, '6A80');
  send(psam, `801A0101 10${CARD_ID}`);
  assert.equal(send(psam, apdu('80FA0000', Buffer.alloc(16), 0)).sw, '6700');
});

test('knows its commands only inside its application and only with class 80', () => {
  const psam = createPsam(testKeyset());
  psam.powerOn();
  assert.equal(send(psam, `801A0101 10${CARD_ID}`).sw, '6D00');
  send(psam, SELECT_PSAM);
  assert.equal(send(psam, `001A0101 10${CARD_ID}`).sw, '6E00');
  assert.equal(send(psam, '00A4040005D156000099').sw, '6A82');
});
