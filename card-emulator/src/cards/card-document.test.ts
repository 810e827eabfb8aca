import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidCardIdCode, isValidCitizenId, validateCitizenId } from '@sscard/card-core';
import { CardDocumentError, luhnValid, parseCardDocument } from './card-document.js';
import { isValidCardNumber } from '@sscard/card-core';
import { demoCardDocuments, personalise } from './personalise.js';

test('demo documents are the same on every call: a generation 2 card, a generation 3 card with debit and a retiree’s', () => {
  const [gen2, gen3, retiree] = demoCardDocuments();
  assert.deepEqual(demoCardDocuments(), [gen2, gen3, retiree]);
  assert.equal(gen2!.card.specVersion, '2.00');
  assert.equal(gen2!.applications.debit, undefined);
  assert.equal(gen3!.card.specVersion, '3.00');
  assert.ok(gen3!.applications.debit);
  // The pensioner of `npm start`'s bank counter: past retirement age, and a debit application to collect with.
  assert.equal(retiree!.card.specVersion, '3.00');
  assert.ok(Number(retiree!.holder.birthDate.slice(0, 4)) < 1966);
  assert.ok(retiree!.applications.debit);
  assert.equal(new Set(demoCardDocuments().map((d) => d.card.cardNumber)).size, 3);
});

test('demo holders have valid citizen IDs and cards issued in the prefecture of the SSN region', () => {
  for (const doc of demoCardDocuments()) {
    assert.ok(isValidCitizenId(doc.holder.ssn));
    const id = validateCitizenId(doc.holder.ssn);
    assert.equal(doc.card.cardIdCode.slice(0, 6), `${id.region.slice(0, 4)}00`);
    assert.equal(doc.holder.birthplace, id.region);
    assert.ok(isValidCardIdCode(doc.card.cardIdCode));
    assert.ok(isValidCardNumber(doc.card.cardNumber));
  }
});

test('personalise gives each holder its own identification code, card number and Luhn-valid PAN', () => {
  const holders = demoCardDocuments().map((d) => ({ ssn: d.holder.ssn, name: d.holder.name }));
  const docs = personalise(holders, { issueDate: '20250101', firstSerial: 40 });
  assert.notEqual(docs[0]!.card.cardIdCode, docs[1]!.card.cardIdCode);
  assert.equal(docs[0]!.card.cardNumber.slice(0, 8), 'A0000040');
  assert.equal(docs[0]!.card.expiryDate, '20350101');
  for (const doc of docs) assert.ok(luhnValid(doc.applications.debit!.pan));
});

test('rejects a document with a wrong SSN check character, naming holder.ssn', () => {
  const doc = structuredClone(demoCardDocuments()[0]!);
  doc.holder.ssn = doc.holder.ssn.slice(0, 17) + (doc.holder.ssn[17] === '0' ? '1' : '0');
  assert.throws(
    () => parseCardDocument(doc),
    (e: unknown) => e instanceof CardDocumentError && e.path === 'holder.ssn',
  );
});

test('rejects a card number whose check character does not match, naming card.cardNumber', () => {
  const doc = structuredClone(demoCardDocuments()[0]!);
  doc.card.cardNumber = `${doc.card.cardNumber.slice(0, 8)}${doc.card.cardNumber[8] === 'Z' ? 'Y' : 'Z'}`;
  assert.throws(() => parseCardDocument(doc), /card\.cardNumber/);
});

test('rejects a gender that contradicts the SSN and a PIN that is not 6 digits', () => {
  const doc = structuredClone(demoCardDocuments()[0]!);
  doc.holder.gender = doc.holder.gender === '1' ? '2' : '1';
  assert.throws(() => parseCardDocument(doc), /holder\.gender/);
  const doc2 = structuredClone(demoCardDocuments()[0]!);
  doc2.pin.value = '12345';
  assert.throws(() => parseCardDocument(doc2), /pin\.value/);
});

test('parses JSON text and fills defaults', () => {
  const doc = demoCardDocuments()[1]!;
  const { quirks: _q, ...rest } = doc;
  const parsed = parseCardDocument(JSON.stringify(rest));
  // Absent: the card answers SELECT as its card OS profile says.
  assert.equal(parsed.quirks.selectAnswers61xx, undefined);
  assert.throws(() => parseCardDocument('{'), /not JSON/);
});
