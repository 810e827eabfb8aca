import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCitizenId, maskIdNumber } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

/**
 * Every operator route that answers with a holder's name or ID number masks them, and the birth
 * date but for its year, for an operator who may only read the registry, and says so; an operator
 * who may change it (or an admin) sees them whole.
 */
forEachEngine('holder reads by scope', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let reader: string;
  let writer: string;
  let personNo: string;
  let cardNumber: string;
  const idNumber = makeCitizenId('330302', '19580301', 7);
  const names = ['王秀英', '王秀芳'];

  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'api'), manualClock('2026-03-10T02:00:00Z'));
    const token = async (name: string, scopes: string[]) => {
      const made = await t.call('POST', '/v1/operator-tokens', {
        token: t.adminToken,
        body: { name, scopes },
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      return made.body.token as string;
    };
    reader = await token('records office', ['registry:read']);
    writer = await token('registry desk', ['registry:read', 'registry:write']);
    const created = await t.call('POST', '/v1/holders', {
      token: writer,
      body: { idNumber, name: names[0], ethnicity: '01', region: '330300' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.masked, false);
    personNo = created.body.holder.personNo;
    const renamed = await t.call('PATCH', `/v1/holders/${personNo}`, {
      token: writer,
      body: { name: names[1] },
    });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const issued = await t.call('POST', `/v1/holders/${personNo}/cards`, {
      token: writer,
      body: { generation: 3 },
    });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    cardNumber = issued.body.card.cardNumber;
  });
  after(() => t?.service.close());

  const get = async (token: string, path: string) => {
    const answer = await t.call('GET', path, { token });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const assertNothingWhole = (body: unknown) => {
    const text = JSON.stringify(body);
    assert.ok(!text.includes(idNumber), text);
    for (const name of names) assert.ok(!text.includes(name), text);
    assert.ok(!text.includes('1958-03-01'), text);
  };

  test('a reader sees the record, its history and the search masked, and is told so', async () => {
    const record = await get(reader, `/v1/holders/${personNo}`);
    assert.equal(record.masked, true);
    assert.equal(record.holder.idNumber, maskIdNumber(idNumber));
    assert.equal(record.holder.name, '王**');
    assert.equal(record.holder.birthDate, '1958-**-**');
    assert.equal(record.holder.personNo, personNo);
    assert.deepEqual(
      record.cards.map((c: { cardNumber: string }) => c.cardNumber),
      [cardNumber],
    );
    assertNothingWhole(record);

    const history = await get(reader, `/v1/holders/${personNo}/history`);
    assert.equal(history.masked, true);
    assert.deepEqual(
      history.history.map((e: { action: string }) => e.action),
      ['create', 'update'],
    );
    assert.equal(history.history[0].changes.idNumber, maskIdNumber(idNumber));
    assert.equal(history.history[0].changes.region, '330300');
    assert.deepEqual(history.history[1].changes.name, ['王**', '王**']);
    assertNothingWhole(history);

    const found = await get(reader, `/v1/holders?q=${idNumber}`);
    assert.equal(found.holders.length, 1);
    assert.equal(found.holders[0].masked, true);
    assertNothingWhole(found);
  });

  test("a card and its history carry no holder's name or ID number", async () => {
    assertNothingWhole(await get(reader, `/v1/cards/${cardNumber}`));
    assertNothingWhole(await get(reader, `/v1/cards/${cardNumber}/history`));
  });

  test('a writer and an admin see them whole', async () => {
    for (const token of [writer, t.adminToken]) {
      const record = await get(token, `/v1/holders/${personNo}`);
      assert.equal(record.masked, false);
      assert.equal(record.holder.idNumber, idNumber);
      assert.equal(record.holder.name, names[1]);
      assert.equal(record.holder.birthDate, '1958-03-01');
      const history = await get(token, `/v1/holders/${personNo}/history`);
      assert.equal(history.masked, false);
      assert.equal(history.history[0].changes.idNumber, idNumber);
      assert.deepEqual(history.history[1].changes.name, names);
      const found = await get(token, `/v1/holders?q=${encodeURIComponent(names[1]!)}`);
      assert.equal(found.holders[0].idNumber, idNumber);
      assert.equal(found.holders[0].masked, false);
    }
  });
});
