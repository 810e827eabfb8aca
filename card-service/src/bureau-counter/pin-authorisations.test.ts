import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import {
  cardPresentProof,
  type IssuedCardData,
  issueActiveCard,
  type TestService,
  type TlsIdentity,
  startTestService,
} from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

let seq = 400;

forEachEngine("a clerk's authorisation of a PIN reload or unblock", ({ freshUrl, dataDir }) => {
  let t: TestService;
  let counter: TlsIdentity;
  let otherCounter: TlsIdentity;
  let bank: TlsIdentity;
  let clerkToken: string;
  let clerkId: string;
  const clock = manualClock(new Date());

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
    counter = await t.enrolTerminal('ctr-1', 'bureau');
    otherCounter = await t.enrolTerminal('ctr-2', 'bureau');
    bank = await t.enrolTerminal('bank-1', 'bank');
    const made = await t.call('POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name: 'window 2', scopes: ['pin:authorise'] },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    clerkToken = made.body.token;
    clerkId = made.body.operator.tokenId;
  });
  after(() => t.service.close());

  const activeCard = (): Promise<IssuedCardData> =>
    issueActiveCard(t, {
      ssn: makeCitizenId('330302', '19600515', seq++),
      name: '赵桂芳',
      schemeCode: '310',
      startDate: '2010-01-01',
    });

  /** The card in the counter's reader answers a fresh challenge. */
  const proof = (c: IssuedCardData, identity = counter) => cardPresentProof(t, c, identity);

  async function authorise(
    c: IssuedCardData,
    options: {
      operation?: 'reload' | 'unblock';
      identity?: TlsIdentity;
      idNumber?: string;
      token?: string;
    } = {},
  ) {
    const identity = options.identity ?? counter;
    return t.call('POST', '/v1/pin-authorisations', {
      identity,
      body: {
        clerkToken: options.token ?? clerkToken,
        operation: options.operation ?? 'unblock',
        cardNumber: c.cardNumber,
        cardIdCode: c.cardIdCode,
        holderIdNumber: options.idNumber ?? c.ssn,
        proof: await proof(c, identity),
      },
    });
  }

  const redeem = (id: string, c: IssuedCardData, identity = counter, operation = 'unblock') =>
    t.call('POST', `/v1/pin-authorisations/${id}/redeem`, {
      identity,
      body: { operation, cardNumber: c.cardNumber },
    });

  test('serves exactly once, however many uses arrive together', async () => {
    const c = await activeCard();
    const granted = await authorise(c);
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    assert.equal(granted.body.clerk.operatorId, clerkId);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => redeem(granted.body.authorisationId, c)),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      assert.equal(refused.body.code, 'AUTHORISATION_USED');
    }
    const row = await t.service.store.get<{ used_via: string; operator_id: string }>(
      'SELECT used_via, operator_id FROM pin_authorisations WHERE authorisation_id = ?',
      [granted.body.authorisationId],
    );
    assert.deepEqual(row, { used_via: 'psam', operator_id: clerkId });
  });

  test('lapses, belongs to its counter, card and operation, and follows the card’s state', async () => {
    const c = await activeCard();
    const lapsing = await authorise(c);
    clock.advance(301_000);
    assert.equal((await redeem(lapsing.body.authorisationId, c)).body.code, 'AUTHORISATION_EXPIRED');

    const granted = await authorise(c);
    const other = await activeCard();
    assert.equal((await redeem(granted.body.authorisationId, other)).body.code, 'AUTHORISATION_MISMATCH');
    assert.equal(
      (await redeem(granted.body.authorisationId, c, counter, 'reload')).body.code,
      'AUTHORISATION_MISMATCH',
    );
    const elsewhere = await redeem(granted.body.authorisationId, c, otherCounter);
    assert.equal(elsewhere.status, 404);
    assert.equal(elsewhere.body.code, 'AUTHORISATION_UNKNOWN');
    // The citizen reports the card lost before the counter uses the authorisation.
    const lost = await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'reportTemporaryLoss' },
    });
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    assert.equal((await redeem(granted.body.authorisationId, c)).body.code, 'ILLEGAL_TRANSITION');
    // And a lost card gets none.
    assert.equal((await authorise(c)).body.code, 'ILLEGAL_TRANSITION');
  });

  test('is refused for another holder’s ID number, a clerk without the scope, and a bank counter', async () => {
    const c = await activeCard();
    const stranger = await authorise(c, { idNumber: makeCitizenId('330302', '19911111', 7) });
    assert.equal(stranger.status, 422);
    assert.equal(stranger.body.code, 'HOLDER_MISMATCH');
    const made = await t.call('POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name: 'records', scopes: ['registry:write'] },
    });
    const records = await authorise(c, { token: made.body.token });
    assert.equal(records.status, 403);
    assert.deepEqual(
      [records.body.code, records.body.details.reason],
      ['CLERK_NOT_ALLOWED', 'SCOPE_MISSING'],
    );
    const atBank = await authorise(c, { identity: bank });
    assert.equal(atBank.status, 403);
    assert.equal(atBank.body.code, 'TERMINAL_TYPE_FORBIDDEN');

    const audit = await t.call('GET', '/v1/audit?limit=1000', { token: t.adminToken });
    const entries = audit.body.entries as {
      action: string;
      result: string;
      operatorId: string | null;
      details: Record<string, unknown>;
    }[];
    const mismatch = entries.find((e) => e.action === 'card.pinAuthorise' && e.result === 'HOLDER_MISMATCH');
    assert.equal(mismatch?.operatorId, clerkId);
    assert.ok(entries.some((e) => e.action === 'counter.clerkRefused' && e.result === 'SCOPE_MISSING'));
    // The audit names the clerk and the card, never the ID number typed.
    assert.ok(!JSON.stringify(entries).includes(c.ssn));
  });
});
