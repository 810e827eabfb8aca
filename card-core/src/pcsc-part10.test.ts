import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CM_IOCTL_GET_FEATURE_REQUEST,
  PCSC_FEATURE,
  parseFeatureList,
  pinModifyStructure,
  pinPadAnswer,
  pinVerifyStructure,
} from './pcsc-part10.js';

describe('PC/SC part 10 secure PIN entry', () => {
  test('the feature request is SCARD_CTL_CODE(3400) as pcsc-lite builds it', () => {
    assert.equal(CM_IOCTL_GET_FEATURE_REQUEST, 0x42000d48);
  });

  test('reads a feature list of tag, 04 and a big-endian control code', () => {
    const list = Buffer.from('0604' + '42330006' + '0704' + '42330007' + '1204' + '42330012', 'hex');
    const features = parseFeatureList(list);
    assert.equal(features.get(PCSC_FEATURE.VERIFY_PIN_DIRECT), 0x42330006);
    assert.equal(features.get(PCSC_FEATURE.MODIFY_PIN_DIRECT), 0x42330007);
    assert.equal(features.get(PCSC_FEATURE.GET_TLV_PROPERTIES), 0x42330012);
    assert.equal(parseFeatureList(Buffer.alloc(0)).size, 0);
    assert.throws(() => parseFeatureList(Buffer.from('060342330006', 'hex')), /feature record/);
    assert.throws(() => parseFeatureList(Buffer.from('0604423300', 'hex')), /feature record/);
  });

  test('packs PIN_VERIFY_STRUCTURE as the CCID driver example does (ASCII PIN of 4 to 8 digits)', () => {
    // libccid examples/scardcontrol.c: 0x82, 0x04, 0x00, 0x0408, 0x02, 0x01, 0x0409, VERIFY 00 20 00 00 08 "0000" 00000000.
    const apdu = Buffer.from('0020000008303030300000000000', 'hex').subarray(0, 13);
    const structure = pinVerifyStructure({
      formatString: 0x82,
      pinBlockString: 0x04,
      pinLengthFormat: 0x00,
      minDigits: 4,
      maxDigits: 8,
      entryValidation: 0x02,
      messages: 0x01,
      languageId: 0x0409,
      apdu,
    });
    assert.equal(
      structure.toString('hex').toUpperCase(),
      '000082040008040201090400000000' + '0D000000' + '00200000083030303000000000',
    );
  });

  test("packs the social security card's VERIFY: a 6-digit BCD PIN in 3 bytes right after Lc", () => {
    const structure = pinVerifyStructure({
      timeoutSeconds: 30,
      formatString: 0x81,
      pinBlockString: 0x03,
      minDigits: 6,
      maxDigits: 6,
      apdu: Buffer.from('0020000003FFFFFF', 'hex'),
    });
    assert.equal(
      structure.toString('hex').toUpperCase(),
      '1E00810300060602010408000000000800000000200000' + '03FFFFFF',
    );
    assert.throws(
      () =>
        pinVerifyStructure({
          formatString: 0x81,
          pinBlockString: 3,
          minDigits: 8,
          maxDigits: 6,
          apdu: Buffer.alloc(8),
        }),
      /least/,
    );
  });

  test("packs the social security card's CHANGE PIN for the pad: current PIN after Lc, the new one after FF", () => {
    const structure = pinModifyStructure({
      timeoutSeconds: 30,
      formatString: 0x81,
      pinBlockString: 0x03,
      currentPinOffset: 0,
      newPinOffset: 4,
      confirm: 0x03,
      minDigits: 6,
      maxDigits: 6,
      apdu: Buffer.from('805E010007FFFFFFFFFFFFFF', 'hex'),
    });
    // pcsc-lite reader.h PIN_MODIFY_STRUCTURE: 24 bytes before abData.
    assert.equal(structure.length, 24 + 12);
    assert.equal(
      structure.subarray(0, 24).toString('hex').toUpperCase(),
      '1E008103' +
        '00' +
        '00' +
        '04' +
        '0606' +
        '03' +
        '02' +
        '03' +
        '0408' +
        '000102' +
        '000000' +
        '0C000000',
    );
    assert.equal(structure.subarray(24).toString('hex').toUpperCase(), '805E010007FFFFFFFFFFFFFF');
    assert.throws(
      () =>
        pinModifyStructure({
          formatString: 0x81,
          pinBlockString: 3,
          currentPinOffset: 0,
          newPinOffset: 256,
          confirm: 3,
          minDigits: 6,
          maxDigits: 6,
          apdu: Buffer.alloc(12),
        }),
      /bInsertionOffsetNew/,
    );
  });

  test("reads the reader's answer: 6400 timeout, 6401 cancelled, 6402 entries differ, 6403 bad length, else the card's", () => {
    assert.deepEqual(pinPadAnswer(Buffer.from('6402', 'hex')), { outcome: 'entriesDiffer' });
    assert.deepEqual(pinPadAnswer(Buffer.from('6403', 'hex')), { outcome: 'badLength' });
    assert.deepEqual(pinPadAnswer(Buffer.from('9000', 'hex')), { outcome: 'answered', sw: 0x9000 });
    assert.deepEqual(pinPadAnswer(Buffer.from('63C2', 'hex')), { outcome: 'answered', sw: 0x63c2 });
    assert.deepEqual(pinPadAnswer(Buffer.from('6400', 'hex')), { outcome: 'timeout' });
    assert.deepEqual(pinPadAnswer(Buffer.from('6401', 'hex')), { outcome: 'cancelled' });
    assert.throws(() => pinPadAnswer(Buffer.from('90', 'hex')), /status word/);
  });
});
