import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeField, makeCitizenId, parseCardIdCode, validateCitizenId } from '@sscard/card-core';
import type { Card, Holder } from '../registry/model.js';
import { cardDocumentFor } from './card-document.js';
import { cardNumberCheckChar, isValidCardNumber } from '@sscard/card-core';

const holder: Holder = {
  personNo: 'P1',
  idNumber: makeCitizenId('110101', '19900307', 757),
  name: '欧阳娜娜',
  gender: '1',
  ethnicity: '01',
  birthDate: '1990-03-07',
  birthplace: '110101',
  region: '110100',
  createdAt: '',
  updatedAt: '',
};

const card = {
  cardNumber: `X0000001${cardNumberCheckChar('X0000001')}`,
  cardIdCode: '110100D156000005AD932A4800112233',
  cardType: '1',
  specVersion: '3.00',
  initOrg: 'SSC110100',
  issueDate: '2025-03-01',
  expiryDate: '2035-03-01',
} as Card;

test('the personalisation document has the card-emulator CardDocument shape', () => {
  const doc = cardDocumentFor(holder, card, '482915');
  assert.deepEqual(Object.keys(doc).sort(), ['applications', 'card', 'holder', 'pin']);
  assert.deepEqual(Object.keys(doc.holder).sort(), [
    'birthDate',
    'birthplace',
    'ethnicity',
    'gender',
    'name',
    'ssn',
  ]);
  assert.deepEqual(Object.keys(doc.card).sort(), [
    'cardIdCode',
    'cardNumber',
    'cardType',
    'expiryDate',
    'initOrg',
    'issueDate',
    'specVersion',
  ]);
  assert.deepEqual(doc.pin, { value: '482915', triesLeft: 3 });
  assert.deepEqual(doc.applications, { ssse: {} });
  assert.equal(doc.card.issueDate, '20250301');
  assert.equal(doc.holder.birthDate, '19900307');
});

test('every field of the document encodes with the card-core codecs, as the emulator checks', () => {
  const doc = cardDocumentFor(holder, card, '000000');
  parseCardIdCode(doc.card.cardIdCode);
  for (const name of [
    'cardType',
    'specVersion',
    'initOrg',
    'issueDate',
    'expiryDate',
    'cardNumber',
  ] as const) {
    encodeField(name, doc.card[name] as never);
  }
  for (const name of ['ssn', 'name', 'gender', 'ethnicity', 'birthplace', 'birthDate'] as const) {
    encodeField(name, doc.holder[name] as never);
  }
  const id = validateCitizenId(doc.holder.ssn);
  assert.equal(id.birthDate, doc.holder.birthDate);
  assert.equal(id.gender, doc.holder.gender);
  assert.ok(isValidCardNumber(doc.card.cardNumber));
});

test('a name longer than the name record continues in the name extension', () => {
  const long = '阿卜杜热合曼·买买提艾力·阿不都热西提';
  const doc = cardDocumentFor({ ...holder, name: long }, card, '000000');
  assert.equal(Array.from(doc.holder.name).length, 15);
  assert.equal(doc.holder.name + doc.holder.nameExt, long);
});
