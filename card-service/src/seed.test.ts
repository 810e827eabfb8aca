import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidCitizenId, makeCitizenId } from '@sscard/card-core';
import { testRegistry } from './testing/registry-fixture.js';
import { forEachEngine } from './testing/engines-fixture.js';
import type { CardDocument } from './issuance/card-document.js';
import { cardNumberCheckChar, isValidCardNumber } from '@sscard/card-core';

const CARD_NUMBER = `X0000001${cardNumberCheckChar('X0000001')}`;
import { seedDemoHolders, seedFromCardDocuments } from './seed.js';

const demoDoc = (): CardDocument => ({
  holder: {
    ssn: makeCitizenId('330302', '19810101', 111),
    name: '张三',
    gender: '1',
    ethnicity: '01',
    birthplace: '330302',
    birthDate: '19810101',
  },
  card: {
    cardIdCode: '330300D156000005AD932A4800112233',
    cardType: '1',
    specVersion: '3.00',
    initOrg: 'SSC330300',
    issueDate: '20240101',
    expiryDate: '20340101',
    cardNumber: CARD_NUMBER,
  },
  pin: { value: '123456', triesLeft: 3 },
  applications: { ssse: {} },
});

forEachEngine('seeding', ({ open }) => {
  test('registers card documents as active cards with their holders, once', async () => {
    const store = await open();
    const registry = testRegistry(store);
    const first = await seedFromCardDocuments(registry, [demoDoc()]);
    assert.deepEqual(first, { holders: 1, cards: 1, skipped: 0 });
    const card = await registry.card(CARD_NUMBER);
    assert.deepEqual(
      [card.status, card.algorithm, card.issuingRegion, card.expiryDate],
      ['active', 'sm4', '330300', '2034-01-01'],
    );
    const record = await registry.holderRecord(card.personNo);
    assert.equal(record.holder.name, '张三');
    assert.deepEqual(
      record.relations.map((r) => [r.schemeCode, r.cardNumber]),
      [
        ['110', CARD_NUMBER],
        ['310', CARD_NUMBER],
      ],
    );
    assert.deepEqual(await seedFromCardDocuments(registry, [demoDoc()]), {
      holders: 0,
      cards: 0,
      skipped: 1,
    });
  });

  test('demo holders have valid ID numbers, Chinese names and active cards', async () => {
    const store = await open();
    const registry = testRegistry(store);
    const report = await seedDemoHolders(registry, 12);
    assert.equal(report.holders + report.skipped, 12);
    const holders = await store.all<{ person_no: string; id_number: string; name: string }>(
      'SELECT person_no, id_number, name FROM holders',
    );
    for (const h of holders) {
      assert.ok(isValidCitizenId(h.id_number, { now: new Date('2100-01-01') }), h.id_number.slice(0, 6));
      assert.match(h.name, /^\p{Script=Han}{2,4}$/u);
      const { cards, relations } = await registry.holderRecord(h.person_no);
      assert.equal(cards[0]!.status, 'active');
      assert.ok(isValidCardNumber(cards[0]!.cardNumber));
      assert.equal(relations.length, 2);
    }
  });
});
