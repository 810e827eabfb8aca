import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError, ValidationError } from '../errors.js';
import { FIELD_ARBITRARIES } from '../testing/field-arbitraries.js';
import {
  cardGeneration,
  decodeField,
  decodeRecord,
  encodeBasicInfo,
  encodeField,
  encodeRecord,
  fieldByTag,
  SSSE_AID,
  SSSE_FIELD_NAMES,
  SSSE_FIELDS,
  type SsseBasicInfo,
  type SsseFieldName,
} from './model.js';

const DESIGN_INFO: SsseBasicInfo = {
  cardIdCode: '639900D15600000500BF7C7A48FB4966',
  cardType: '1',
  specVersion: '2.00',
  initOrg: '639900000000',
  issueDate: '20101001',
  expiryDate: '20201001',
  cardNumber: 'X00000019',
  ssn: '111111198101011110',
  name: '张三',
  gender: '1',
  ethnicity: '01',
  birthplace: '111111',
  birthDate: '19810101',
};

describe('SSSE application and file model', () => {
  test('selects the application by sx1.sh. and the GBK bytes of 社会保障', () => {
    assert.equal(SSSE_AID.length, 15);
    assert.equal(SSSE_AID.subarray(0, 7).toString('latin1'), 'sx1.sh.');
    assert.equal(SSSE_AID.subarray(7).toString('hex').toUpperCase(), 'C9E7BBE1B1A3D5CF');
  });

  test('places every field of the card data and holder data files as DESIGN §6 lists it', () => {
    const rows = SSSE_FIELD_NAMES.map((n) => {
      const f = SSSE_FIELDS[n];
      return `${f.file} ${f.fid.toString(16)} ${f.sfi} ${f.record} ${f.tag.toString(16).padStart(2, '0')} ${f.length} ${f.encoding}`;
    });
    assert.deepEqual(rows, [
      'EF05 ef05 5 1 01 16 binary',
      'EF05 ef05 5 2 02 1 byte',
      'EF05 ef05 5 3 03 4 ascii',
      'EF05 ef05 5 4 04 12 ascii',
      'EF05 ef05 5 5 05 4 bcd-date',
      'EF05 ef05 5 6 06 4 bcd-date',
      'EF05 ef05 5 7 07 9 ascii',
      'EF06 ef06 6 1 08 18 ascii',
      'EF06 ef06 6 2 09 30 gbk',
      'EF06 ef06 6 3 4e 40 gbk',
      'EF06 ef06 6 4 0a 1 ascii',
      'EF06 ef06 6 5 0b 1 bcd',
      'EF06 ef06 6 6 0c 3 bcd',
      'EF06 ef06 6 7 0d 4 bcd-date',
    ]);
    assert.equal(SSSE_FIELDS.gender.gen1Record, 3);
    assert.equal(fieldByTag(0x08)?.name, 'ssn');
    assert.equal(fieldByTag(0x4e)?.name, 'nameExt');
    assert.equal(fieldByTag(0x0e), undefined);
  });

  test('maps specification versions to card generations', () => {
    assert.equal(cardGeneration('1.00'), 1);
    assert.equal(cardGeneration('2.00'), 2);
    assert.equal(cardGeneration('3.00'), 3);
    assert.throws(() => cardGeneration('4.00'), ValidationError);
  });
});

describe('SSSE field codecs', () => {
  test('encodes the card number and SSN records the way READ RECORD returns them', () => {
    assert.equal(
      encodeRecord('cardNumber', 'X00000019').toString('hex').toUpperCase(),
      '0709583030303030303139',
    );
    assert.equal(
      encodeRecord('ssn', '111111198101011110').toString('hex').toUpperCase(),
      '0812313131313131313938313031303131313130',
    );
  });

  test('stores ethnicity as one BCD byte, so its hex is the GB/T 3304 code', () => {
    assert.equal(encodeField('ethnicity', '01').toString('hex'), '01');
    assert.equal(encodeField('ethnicity', '56').toString('hex'), '56');
    assert.throws(() => encodeField('ethnicity', '57'), ValidationError);
    assert.throws(() => decodeField('ethnicity', Buffer.from([0x0a])), ProtocolError);
  });

  test('stores the card type as its ASCII byte', () => {
    assert.equal(encodeField('cardType', '1').toString('hex'), '31');
    assert.equal(decodeField('cardType', Buffer.from([0x33])), '3');
    assert.throws(() => decodeField('cardType', Buffer.from([0x01])), ValidationError);
  });

  test('refuses invalid values per field', () => {
    const cases: [SsseFieldName, string][] = [
      ['cardIdCode', '639900D15600000600BF7C7A48FB4966'],
      ['specVersion', '2.0'],
      ['issueDate', '20100230'],
      ['cardNumber', 'x00000019'],
      ['cardNumber', 'X0000001'],
      ['ssn', '111111198101011111'],
      ['name', ''],
      ['name', '一二三四五六七八九十一二三四五六'],
      ['gender', '0'],
      ['birthplace', '11111'],
      ['initOrg', 'ABCDEFGHIJKLM'],
    ];
    for (const [name, value] of cases) {
      assert.throws(() => encodeField(name, value as never), ValidationError, `${name}=${value}`);
    }
  });

  test('reports a card identification code with a foreign RID as CARD_ID_FORMAT', () => {
    assert.throws(
      () => decodeField('cardIdCode', Buffer.from('639900D15600000600BF7C7A48FB4966', 'hex')),
      (e: unknown) => e instanceof ValidationError && e.code === 'CARD_ID_FORMAT',
    );
  });

  test('checks the tag and the length byte of a record', () => {
    assert.throws(
      () => decodeRecord('cardNumber', Buffer.from('0809583030303030303139', 'hex')),
      (e: unknown) => {
        return e instanceof ProtocolError && e.code === 'RECORD_TAG';
      },
    );
    assert.throws(
      () => decodeRecord('cardNumber', Buffer.from('07095830303030303031', 'hex')),
      (e: unknown) => {
        return e instanceof ProtocolError && e.code === 'RECORD_LENGTH';
      },
    );
    assert.throws(
      () => decodeRecord('cardNumber', Buffer.from('07085830303030303031', 'hex')),
      (e: unknown) => {
        return e instanceof ProtocolError && e.code === 'FIELD_LENGTH';
      },
    );
    assert.throws(() => decodeRecord('gender', Buffer.from('0A', 'hex')), ProtocolError);
  });

  test('keeps the name extension only as long as its text', () => {
    assert.equal(encodeRecord('nameExt', '').toString('hex'), '4e00');
    assert.equal(encodeRecord('nameExt', '娜娜').length, 6);
    assert.equal(decodeRecord('nameExt', Buffer.from('4e00', 'hex')), '');
  });

  for (const name of SSSE_FIELD_NAMES) {
    test(`round-trips every valid ${name} through its record`, () => {
      const spec = SSSE_FIELDS[name];
      fc.assert(
        fc.property(FIELD_ARBITRARIES[name] as fc.Arbitrary<string>, (value) => {
          const record = encodeRecord(name, value as never);
          assert.equal(record[0], spec.tag);
          assert.equal(record[1], record.length - 2);
          if (!spec.variable) assert.equal(record[1], spec.length);
          assert.equal(decodeRecord(name, record), value);
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('basic information', () => {
  test('lays out the records of a generation 2 card in record order', () => {
    const files = encodeBasicInfo(DESIGN_INFO);
    assert.deepEqual(
      files.EF05.map((r) => r.field),
      ['cardIdCode', 'cardType', 'specVersion', 'initOrg', 'issueDate', 'expiryDate', 'cardNumber'],
    );
    assert.deepEqual(
      files.EF06.map((r) => [r.record, r.field]),
      [
        [1, 'ssn'],
        [2, 'name'],
        [3, 'nameExt'],
        [4, 'gender'],
        [5, 'ethnicity'],
        [6, 'birthplace'],
        [7, 'birthDate'],
      ],
    );
    for (const list of Object.values(files)) {
      for (const r of list)
        assert.equal(decodeRecord(r.field, r.bytes), r.field === 'nameExt' ? '' : DESIGN_INFO[r.field]);
    }
  });

  test('puts gender in record 3 of a generation 1 card, which has no name extension', () => {
    const files = encodeBasicInfo({ ...DESIGN_INFO, specVersion: '1.00' });
    assert.deepEqual(
      files.EF06.map((r) => [r.record, r.field]),
      [
        [1, 'ssn'],
        [2, 'name'],
        [3, 'gender'],
        [4, 'ethnicity'],
        [5, 'birthplace'],
        [6, 'birthDate'],
      ],
    );
    assert.throws(
      () => encodeBasicInfo({ ...DESIGN_INFO, specVersion: '1.00', nameExt: '娜娜' }),
      ValidationError,
    );
  });

  test('refuses a card that expires before it is issued', () => {
    assert.throws(() => encodeBasicInfo({ ...DESIGN_INFO, expiryDate: '20091231' }), ValidationError);
  });
});
