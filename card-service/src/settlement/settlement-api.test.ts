import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAY_MS, manualClock } from '../clock.js';
import { type IssuedCardData, type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { readAccumulators } from './accumulators.js';
import { account, balanceOf, verifyLedger } from './ledger.js';
import {
  type Desks,
  deskClient,
  exampleJson,
  exampleLines,
  insuredCard,
  setUpSettlementWorld,
} from '../testing/settlement-fixture.js';

forEachEngine('medical settlement over the API', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let desks: Desks;
  // 10:00 China time on a working day of the example policy's year.
  const clock = manualClock('2026-03-10T02:00:00.000Z');

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
    desks = await setUpSettlementWorld(t);
  });
  after(() => t.service.close());

  const store = () => t.service.store;
  const accumulatorsOf = (c: IssuedCardData) =>
    readAccumulators(store(), { personNo: c.personNo, scheme: '310', insuredRegion: '330300', year: 2026 });
  const credit = async (c: IssuedCardData, amount: number, reference: string) => {
    const a = await t.call('POST', `/v1/holders/${c.personNo}/account-credits`, {
      token: t.adminToken,
      body: { amount, reference },
    });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    return a.body as { balance: number; credited: boolean };
  };
  const seedAccumulators = (c: IssuedCardData, outpatient: number, pooled: number, leDeductible = 0) =>
    store().run(
      `INSERT INTO settlement_accumulators (person_no, scheme, insured_region, year, outpatient_deductible_paid,
         pooled_fund_used, large_expense_deductible_paid, large_expense_fund_used) VALUES (?, '310', '330300', 2026, ?, ?, ?, 0)`,
      [c.personNo, outpatient, pooled, leDeductible],
    );
  const ledgerIsSound = async () => {
    const v = await verifyLedger(store());
    assert.ok(v.ok, JSON.stringify(v));
    return v;
  };

  test('worked example 1 end to end: the quote is the documented breakdown, the settlement posts it once', async () => {
    const c = await insuredCard(t);
    await seedAccumulators(c, 50000, 1200000);
    assert.deepEqual(await credit(c, 12000, 'payroll-2026-02'), {
      personNo: c.personNo,
      balance: 12000,
      credited: true,
    });
    assert.equal((await credit(c, 12000, 'payroll-2026-02')).credited, false, 'a reference credits once');
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { visit, quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
    assert.equal(visit.hospitalLevel, 2);
    assert.equal(visit.crossRegion, false);
    assert.deepEqual(quote.policy, { region: '330300', scheme: '310', year: 2026, version: 1 });
    const b = quote.breakdown;
    assert.deepEqual(
      [b.medfee_sumamt, b.act_pay_dedc, b.hifp_pay, b.hifmi_pay, b.acct_pay, b.psn_cash_pay, b.balc],
      [55290, 30000, 4856, 0, 12000, 38434, 0],
    );
    // Pre-settlement moves nothing.
    assert.deepEqual((await accumulatorsOf(c)).pooledFundUsed, 1200000);
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 12000);

    const key = desk.nextKey();
    const settled = await desk.post(
      '/v1/settlement/settle',
      { quoteId: quote.quoteId, proof: desk.quoteProof(c, quote) },
      key,
    );
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.equal(settled.body.status, 'settled');
    assert.equal(settled.body.businessDate, '2026-03-10');
    assert.deepEqual(settled.body.breakdown, b);
    assert.deepEqual(await accumulatorsOf(c), b.accumulators);
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 0);
    assert.equal(await balanceOf(store(), account.receivable('H330300-2')), 4856 + 12000);
    const sound = await ledgerIsSound();

    // A retry of the same request (the answer was lost) replays it: same settlement, nothing twice,
    // and the proof it carries (here over a challenge of no quote) is not even looked at.
    const again = await desk.post(
      '/v1/settlement/settle',
      { quoteId: quote.quoteId, proof: await desk.proof(c, 'presence') },
      key,
    );
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.replayed, true);
    assert.equal(again.body.settlementId, settled.body.settlementId);
    assert.deepEqual(await ledgerIsSound(), sound);
    // A new request for the same visit is refused: it is settled.
    const second = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(second.body.code, 'VISIT_SETTLED');
    const status = await desk.get(`/v1/settlement/attempts/${encodeURIComponent(key)}`);
    assert.equal(status.body.outcome, 'settled');
  });

  test('worked example 2 end to end: a retired inpatient over the pooled ceiling, into the large-expense fund', async () => {
    const c = await insuredCard(t);
    const record = await t.call('GET', `/v1/holders/${c.personNo}`, { token: t.adminToken });
    const relationId = record.body.relations[0].relationId;
    const group = await t.call('POST', `/v1/relations/${relationId}/person-group`, {
      token: t.adminToken,
      body: { personGroup: 'retired' },
    });
    assert.equal(group.status, 200, JSON.stringify(group.body));
    await seedAccumulators(c, 0, 19500000, 200000);
    await credit(c, 1500000, 'transfer-1');
    const desk = deskClient(t, desks.h3, 'desk-3');
    const { visit, quote } = await desk.quote(c, exampleLines('inpatient-bill.json'), {
      visitType: 'inpatient',
    });
    assert.equal(visit.personGroup, 'retired');
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    const b = settled.body.breakdown;
    assert.deepEqual(
      [b.hifp_pay, b.hifmi_pay, b.acct_pay, b.psn_cash_pay, b.balc],
      [500000, 885500, 1069500, 0, 430500],
    );
    assert.deepEqual(await accumulatorsOf(c), {
      outpatientDeductiblePaid: 0,
      pooledFundUsed: 20000000,
      largeExpenseDeductiblePaid: 500000,
      largeExpenseFundUsed: 885500,
    });
    await ledgerIsSound();
  });

  test('a cancellation on the same day at the same institution restores accumulators and account exactly', async () => {
    const c = await insuredCard(t);
    await seedAccumulators(c, 10000, 300000);
    await credit(c, 40000, 'c1');
    const before = await accumulatorsOf(c);
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.notDeepEqual(await accumulatorsOf(c), before);
    const id = settled.body.settlementId;

    const foreign = await deskClient(t, desks.h3, 'desk-3').post('/v1/settlement/cancel', {
      settlementId: id,
    });
    assert.equal(foreign.body.code, 'CANCEL_OTHER_INSTITUTION');
    // Another desk of the same institution may cancel.
    const cancelKey = `desk-2b:cancel-${id}`;
    const pharmacy = deskClient(t, desks.h2b, 'desk-2b');
    const cancelled = await pharmacy.post('/v1/settlement/cancel', { settlementId: id }, cancelKey);
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'cancelled');
    assert.deepEqual(await accumulatorsOf(c), before);
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 40000);
    const replay = await pharmacy.post('/v1/settlement/cancel', { settlementId: id }, cancelKey);
    assert.equal(replay.body.replayed, true);
    assert.deepEqual(await accumulatorsOf(c), before, 'a replayed cancel changes nothing');
    const twice = await pharmacy.post('/v1/settlement/cancel', { settlementId: id });
    assert.equal(twice.body.code, 'SETTLEMENT_NOT_CANCELLABLE');
    await ledgerIsSound();

    // Once cancelled, the visit may be settled again.
    const requote = await desk.post(`/v1/settlement/visits/${settled.body.visitId}/pre-settle`, {
      useAccount: true,
    });
    assert.equal(requote.status, 200, JSON.stringify(requote.body));
    assert.notEqual(
      requote.body.challenge.challengeId,
      quote.challenge.challengeId,
      'a new quote, a new challenge',
    );
    const resettled = await desk.post('/v1/settlement/settle', {
      quoteId: requote.body.quoteId,
      proof: desk.quoteProof(c, requote.body),
    });
    assert.equal(resettled.status, 200, JSON.stringify(resettled.body));
    // The next business day it can no longer be cancelled.
    clock.advance(DAY_MS);
    try {
      const late = await desk.post('/v1/settlement/cancel', { settlementId: resettled.body.settlementId });
      assert.equal(late.body.code, 'CANCEL_OTHER_DAY');
    } finally {
      clock.advance(-DAY_MS);
    }
    await ledgerIsSound();
  });

  test('a reversal undoes a settlement whose answer was lost, and voids one that never arrived', async () => {
    const c = await insuredCard(t);
    await credit(c, 5000, 'r1');
    const before = await accumulatorsOf(c);
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
    const key = desk.nextKey();
    assert.equal(
      (
        await desk.post(
          '/v1/settlement/settle',
          { quoteId: quote.quoteId, proof: desk.quoteProof(c, quote) },
          key,
        )
      ).status,
      200,
    );
    const reversed = await desk.post('/v1/settlement/reversals', { attemptKey: key });
    assert.equal(reversed.status, 200, JSON.stringify(reversed.body));
    assert.equal(reversed.body.outcome, 'reversed');
    assert.deepEqual(await accumulatorsOf(c), before);
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 5000);
    assert.equal(
      (await desk.get(`/v1/settlement/attempts/${encodeURIComponent(key)}`)).body.outcome,
      'reversed',
    );
    assert.equal(
      (await desk.post('/v1/settlement/reversals', { attemptKey: key })).body.outcome,
      'already_ended',
    );

    // An attempt reversed before it arrived is voided: when it does arrive, it is refused.
    const { quote: q2 } = await desk.quote(c, exampleLines('outpatient-bill.json'));
    const lostKey = desk.nextKey();
    assert.equal(
      (await desk.get(`/v1/settlement/attempts/${encodeURIComponent(lostKey)}`)).body.outcome,
      'unknown',
    );
    const voided = await desk.post('/v1/settlement/reversals', { attemptKey: lostKey });
    assert.equal(voided.body.outcome, 'voided');
    const late = await desk.post(
      '/v1/settlement/settle',
      { quoteId: q2.quoteId, proof: desk.quoteProof(c, q2) },
      lostKey,
    );
    assert.equal(late.body.code, 'ATTEMPT_REVERSED');
    assert.deepEqual(await accumulatorsOf(c), before);
    // Another desk cannot reverse this desk's attempt: attempt keys are the desk's own.
    assert.equal(
      (await deskClient(t, desks.h2b, 'desk-2b').post('/v1/settlement/reversals', { attemptKey: key })).body
        .outcome,
      'voided',
    );
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 5000);
    await ledgerIsSound();
  });

  test('refusals: PIN not verified, a wrong proof, an expired quote, a changed bill, a changed balance', async () => {
    const c = await insuredCard(t);
    await credit(c, 100000, 'f1');
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { visit, quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
    const settle = (proof: unknown, quoteId = quote.quoteId) =>
      desk.post('/v1/settlement/settle', { quoteId, proof });
    const requote = async () => {
      const q = await desk.post(`/v1/settlement/visits/${visit.visitId}/pre-settle`, { useAccount: true });
      assert.equal(q.status, 200, JSON.stringify(q.body));
      return q.body as { quoteId: string; challenge: { challengeId: string; challenge: string } };
    };
    const zeros = '00'.repeat(c.algorithm === 'sm4' ? 16 : 8);

    const plain = await settle(desk.quoteProof(c, quote, 'presence'));
    assert.equal(plain.status, 403);
    assert.equal(plain.body.code, 'PIN_NOT_VERIFIED');
    // A refused proof spends the quote's challenge: that quote settles no more.
    const spent = await settle(desk.quoteProof(c, quote));
    assert.equal(spent.body.code, 'CARD_PRESENCE_FAILED');
    assert.equal(spent.body.details.reason, 'CHALLENGE_USED');
    const q1 = await requote();
    const forged = await settle({ challengeId: q1.challenge.challengeId, cryptogram: zeros }, q1.quoteId);
    assert.equal(forged.body.code, 'CARD_PRESENCE_FAILED');
    assert.equal(forged.body.details.reason, 'CRYPTOGRAM_INVALID');
    const reused = await settle(desk.quoteProof(c, q1), q1.quoteId);
    assert.equal(reused.body.details.reason, 'CHALLENGE_USED');

    const qb = await requote();
    await credit(c, 1, 'f2');
    const yearSoFar = await accumulatorsOf(c);
    const moved = await settle(desk.quoteProof(c, qb), qb.quoteId);
    assert.equal(moved.body.code, 'ACCOUNT_BALANCE_CHANGED');
    assert.deepEqual(
      await accumulatorsOf(c),
      yearSoFar,
      'a refused settle leaves the accumulators as they were',
    );

    const q2 = await requote();
    const added = await desk.post(`/v1/settlement/visits/${visit.visitId}/lines`, {
      lines: [{ lineNo: 9, itemCode: 'XC04', unitPrice: 100, quantity: 1 }],
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal((await settle(desk.quoteProof(c, q2), q2.quoteId)).body.code, 'BILL_CHANGED');
    const conflict = await desk.post(`/v1/settlement/visits/${visit.visitId}/lines`, {
      lines: [{ lineNo: 9, itemCode: 'XC04', unitPrice: 101, quantity: 1 }],
    });
    assert.equal(conflict.body.code, 'BILL_LINE_CONFLICT');
    const unknownItem = await desk.post(`/v1/settlement/visits/${visit.visitId}/lines`, {
      lines: [{ lineNo: 10, itemCode: 'NOPE', unitPrice: 1, quantity: 1 }],
    });
    assert.equal(unknownItem.body.code, 'ITEM_UNKNOWN');

    const q3 = await requote();
    clock.advance(301_000);
    assert.equal((await settle(desk.quoteProof(c, q3), q3.quoteId)).body.code, 'QUOTE_EXPIRED');
    assert.equal((await settle(desk.quoteProof(c, q3), 'no-such-quote')).body.code, 'QUOTE_UNKNOWN');
    assert.equal(
      (
        await deskClient(t, desks.h3, 'desk-3').post('/v1/settlement/settle', {
          quoteId: q3.quoteId,
          proof: desk.quoteProof(c, q3),
        })
      ).body.code,
      'QUOTE_UNKNOWN',
      "another institution's quote is unknown to this one",
    );
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 100001, 'nothing was paid');
    await ledgerIsSound();
  });

  test("the quote's challenge: issued to its desk for its card, it serves that quote's settle alone and lapses with it", async () => {
    const c = await insuredCard(t);
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { visit, quote: q1 } = await desk.quote(c, exampleLines('outpatient-bill.json'), {
      useAccount: false,
    });
    assert.equal(q1.challenge.algorithm, c.algorithm);
    assert.match(q1.challenge.challenge, c.algorithm === 'sm4' ? /^[0-9A-F]{32}$/ : /^[0-9A-F]{16}$/);
    assert.equal(q1.challenge.expiresAt, q1.expiresAt, 'it lapses with the quote');
    const settle = (by: ReturnType<typeof deskClient>, quoteId: string, proof: unknown) =>
      by.post('/v1/settlement/settle', { quoteId, proof });
    const reason = (a: { body: { code: string; details?: { reason?: string } } }) => {
      assert.equal(a.body.code, 'CARD_PRESENCE_FAILED', JSON.stringify(a.body));
      return a.body.details?.reason;
    };

    // Pre-settled again (as after a changed bill): a new quote with a new challenge, which the old
    // one does not serve.
    const requoted = await desk.post(`/v1/settlement/visits/${visit.visitId}/pre-settle`, {
      useAccount: false,
    });
    assert.equal(requoted.status, 200, JSON.stringify(requoted.body));
    const q2 = requoted.body;
    assert.notEqual(q2.challenge.challengeId, q1.challenge.challengeId);
    assert.notEqual(q2.challenge.challenge, q1.challenge.challenge);
    assert.equal(reason(await settle(desk, q2.quoteId, desk.quoteProof(c, q1))), 'CHALLENGE_OTHER_QUOTE');
    // Nor does a challenge asked for on its own.
    assert.equal(reason(await settle(desk, q2.quoteId, await desk.proof(c))), 'CHALLENGE_OTHER_QUOTE');
    // Another desk of the institution knows the quote, but the challenge was issued to this desk.
    const pharmacy = deskClient(t, desks.h2b, 'desk-2b');
    assert.equal(reason(await settle(pharmacy, q2.quoteId, desk.quoteProof(c, q2))), 'CHALLENGE_UNKNOWN');
    // None of that spent q2's challenge: its desk settles with it.
    const settled = await settle(desk, q2.quoteId, desk.quoteProof(c, q2));
    assert.equal(settled.status, 200, JSON.stringify(settled.body));

    // A quote's challenge is no card-present proof for anything else (an identity check, a pension).
    const { quote: q3 } = await desk.quote(c, exampleLines('outpatient-bill.json'), { useAccount: false });
    const presence = await t.call('POST', '/v1/card-auth/verify', {
      identity: desks.h2a,
      body: {
        challengeId: q3.challenge.challengeId,
        cardIdCode: c.cardIdCode,
        cryptogram: desk.quoteProof(c, q3, 'presence').cryptogram,
      },
    });
    assert.deepEqual(presence.body, { verified: false, reason: 'CHALLENGE_OTHER_QUOTE' });
  });

  test('refusals: a lost card, paused coverage, no coverage for the scheme, a kiosk, an unassigned desk', async () => {
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const c = await insuredCard(t);
    const noScheme = await desk.post('/v1/settlement/visits', {
      cardNumber: c.cardNumber,
      scheme: '390',
      visitType: 'outpatient',
      hisVisitNo: 'N1',
    });
    assert.equal(noScheme.body.code, 'COVERAGE_MISSING');
    const { quote } = await desk.quote(c, exampleLines('outpatient-bill.json'));
    const record = await t.call('GET', `/v1/holders/${c.personNo}`, { token: t.adminToken });
    const paused = await t.call('POST', `/v1/relations/${record.body.relations[0].relationId}/status`, {
      token: t.adminToken,
      body: { status: 'paused', date: '2026-03-01' },
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.body));
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(settled.body.code, 'COVERAGE_PAUSED');

    const lost = await insuredCard(t);
    const reported = await t.call('POST', `/v1/cards/${lost.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'reportFormalLoss' },
    });
    assert.equal(reported.status, 200, JSON.stringify(reported.body));
    const refused = await desk.post('/v1/settlement/visits', {
      cardNumber: lost.cardNumber,
      scheme: '310',
      visitType: 'outpatient',
      hisVisitNo: 'L1',
    });
    assert.equal(refused.body.code, 'CARD_NOT_ACTIVE');
    assert.equal(refused.body.details.status, 'lost');

    const kiosk = await deskClient(t, desks.kiosk, 'kiosk-s').post('/v1/settlement/visits', {
      cardNumber: lost.cardNumber,
      scheme: '310',
      visitType: 'outpatient',
      hisVisitNo: 'K1',
    });
    assert.equal(kiosk.status, 403);
    const unassigned = await deskClient(t, desks.unassigned, 'desk-u').post('/v1/settlement/visits', {
      cardNumber: c.cardNumber,
      scheme: '310',
      visitType: 'outpatient',
      hisVisitNo: 'U1',
    });
    assert.equal(unassigned.body.code, 'INSTITUTION_MISSING');
    const noKey = await t.call('POST', '/v1/settlement/visits', {
      identity: desks.h2a,
      body: { cardNumber: c.cardNumber, scheme: '310', visitType: 'outpatient', hisVisitNo: 'X' },
    });
    assert.equal(noKey.body.code, 'IDEMPOTENCY_KEY_REQUIRED');
  });

  test('accumulators changed since the quote: refused, and nothing moves; a new quote settles from them', async () => {
    const c = await insuredCard(t);
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const { visit, quote } = await desk.quote(c, exampleLines('outpatient-bill.json'), { useAccount: false });
    // Another settlement of the year, as far as this quote can tell (a row it did not see).
    await seedAccumulators(c, 30000, 0);
    const refusedSettle = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(refusedSettle.body.code, 'ACCUMULATORS_CHANGED');
    assert.deepEqual(await accumulatorsOf(c), {
      outpatientDeductiblePaid: 30000,
      pooledFundUsed: 0,
      largeExpenseDeductiblePaid: 0,
      largeExpenseFundUsed: 0,
    });
    const again = await desk.post(`/v1/settlement/visits/${visit.visitId}/pre-settle`, { useAccount: false });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: again.body.quoteId,
      proof: desk.quoteProof(c, again.body),
    });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.deepEqual(await accumulatorsOf(c), again.body.breakdown.accumulators);
    await ledgerIsSound();
  });

  test('a retry of register, bill lines or pre-settle replays its answer; a key used for another request is refused', async () => {
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const c = await insuredCard(t);
    const twice = async (path: string, body: unknown) => {
      const key = desk.nextKey();
      const first = await desk.post(path, body, key);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const again = await desk.post(path, body, key);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.replayed, true);
      const { replayed: _, ...answer } = again.body;
      assert.deepEqual(answer, first.body);
      return { key, answer: first.body };
    };
    const registration = {
      cardNumber: c.cardNumber,
      scheme: '310',
      visitType: 'outpatient',
      hisVisitNo: 'R1',
    };
    const visit = (await twice('/v1/settlement/visits', registration)).answer;
    const visits = await store().all('SELECT visit_id FROM settlement_visits WHERE card_number = ?', [
      c.cardNumber,
    ]);
    assert.equal(visits.length, 1, 'the retry registered no second visit');
    const lines = exampleLines('outpatient-bill.json').map((l, i) => ({
      lineNo: i + 1,
      itemCode: l.itemCode,
      unitPrice: l.unitPrice,
      quantity: l.quantity,
    }));
    const billed = await twice(`/v1/settlement/visits/${visit.visitId}/lines`, { lines });
    const quoted = (await twice(`/v1/settlement/visits/${visit.visitId}/pre-settle`, { useAccount: true }))
      .answer;
    const quotes = await store().all('SELECT quote_id FROM settlement_quotes WHERE visit_id = ?', [
      visit.visitId,
    ]);
    assert.deepEqual(quotes, [{ quote_id: quoted.quoteId }], 'the retry made no second quote');
    assert.deepEqual(
      await store().all('SELECT challenge_id FROM challenges WHERE quote_id = ?', [quoted.quoteId]),
      [{ challenge_id: quoted.challenge.challengeId }],
      'nor a second challenge: the replayed quote carries the one issued with it',
    );
    const reused = await desk.post(
      '/v1/settlement/visits',
      { ...registration, hisVisitNo: 'R2' },
      billed.key,
    );
    assert.equal(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(
      (await store().all('SELECT visit_id FROM settlement_visits WHERE card_number = ?', [c.cardNumber]))
        .length,
      1,
      'a refused reuse of a key registered nothing',
    );
  });

  test("cross-region: the insured region's policy with the treatment region's catalogue, both on the record", async () => {
    const c = await insuredCard(t);
    const desk = deskClient(t, desks.other, 'desk-x');
    const { visit, quote } = await desk.quote(c, exampleLines('outpatient-bill.json'), { useAccount: false });
    assert.deepEqual(
      [visit.insuredRegion, visit.treatmentRegion, visit.crossRegion, visit.hospitalLevel],
      ['330300', '330100', true, 1],
    );
    assert.equal(quote.policy.region, '330300');
    const settled = await desk.post('/v1/settlement/settle', {
      quoteId: quote.quoteId,
      proof: desk.quoteProof(c, quote),
    });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.deepEqual([settled.body.insuredRegion, settled.body.treatmentRegion], ['330300', '330100']);
    assert.equal((await balanceOf(store(), account.pooledFund('330300', '310'))) < 0, true);
    assert.equal(await balanceOf(store(), account.receivable('H330100-1')), settled.body.breakdown.hifp_pay);
  });

  test('two desks settling for one person at once: one settles, the other is told to pre-settle again', async () => {
    const c = await insuredCard(t);
    await seedAccumulators(c, 80000, 0);
    await credit(c, 30000, 'race');
    const a = deskClient(t, desks.h2a, 'desk-2a');
    const b = deskClient(t, desks.h3, 'desk-3');
    const qa = (await a.quote(c, exampleLines('outpatient-bill.json'))).quote;
    const qb = (await b.quote(c, exampleLines('outpatient-bill.json'))).quote;
    const [pa, pb] = [a.quoteProof(c, qa), b.quoteProof(c, qb)];
    const key = a.nextKey();
    const answers = await Promise.all([
      a.post('/v1/settlement/settle', { quoteId: qa.quoteId, proof: pa }, key),
      a.post('/v1/settlement/settle', { quoteId: qa.quoteId, proof: pa }, key),
      b.post('/v1/settlement/settle', { quoteId: qb.quoteId, proof: pb }),
    ]);
    const settled = answers.filter((x) => x.status === 200);
    const ids = new Set(settled.map((x) => x.body.settlementId));
    assert.equal(ids.size, 1, JSON.stringify(answers.map((x) => x.body)));
    const [firstCopy, secondCopy] = answers;
    for (const [i, x] of answers.entries()) {
      if (x.status === 200) continue;
      const changed = ['ACCUMULATORS_CHANGED', 'ACCOUNT_BALANCE_CHANGED'].includes(x.body.code);
      // When desk 3 wins, the copy of desk 2a's request that ran first is refused (a refusal is not
      // kept under its key) and has spent the proof the other copy carries: that copy is refused too.
      const spentByItsTwin =
        i < 2 &&
        x.body.code === 'CARD_PRESENCE_FAILED' &&
        x.body.details?.reason === 'CHALLENGE_USED' &&
        firstCopy!.status !== 200 &&
        secondCopy!.status !== 200;
      assert.ok(changed || spentByItsTwin, JSON.stringify(x.body));
    }
    // Whoever won, the account paid once and the year's pooled fund moved once.
    const won = settled[0]!.body.breakdown;
    assert.equal(await balanceOf(store(), account.personal(c.personNo)), 30000 - won.acct_pay);
    assert.deepEqual(await accumulatorsOf(c), won.accumulators);
    await ledgerIsSound();
  });

  test('reconciliation: the day’s totals and detail of an institution add up to its settlements', async () => {
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    const detail = await desk.get('/v1/settlement/reconciliation/detail?date=2026-03-10');
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    const totals = await desk.get('/v1/settlement/reconciliation?date=2026-03-10');
    assert.equal(totals.status, 200, JSON.stringify(totals.body));
    const list = detail.body.settlements as {
      status: string;
      institutionId: string;
      breakdown: Record<string, number>;
    }[];
    assert.ok(list.length >= 3);
    assert.ok(list.every((s) => s.institutionId === 'H330300-2'));
    const sum = (pred: (s: (typeof list)[number]) => boolean, f: string) =>
      list.filter(pred).reduce((a, s) => a + s.breakdown[f]!, 0);
    for (const f of ['medfee_sumamt', 'hifp_pay', 'hifmi_pay', 'acct_pay', 'psn_cash_pay']) {
      assert.equal(
        totals.body.settled[f],
        sum(() => true, f),
        f,
      );
      assert.equal(
        totals.body.standing[f],
        sum((s) => s.status === 'settled', f),
        f,
      );
      assert.equal(
        totals.body.ended[f],
        sum((s) => s.status !== 'settled', f),
        f,
      );
    }
    assert.equal(totals.body.standing.count, list.filter((s) => s.status === 'settled').length);
    // The receivable of the institution is exactly what its standing settlements owe it.
    assert.equal(
      await balanceOf(store(), account.receivable('H330300-2')),
      sum((s) => s.status === 'settled', 'hifp_pay') +
        sum((s) => s.status === 'settled', 'hifmi_pay') +
        sum((s) => s.status === 'settled', 'acct_pay'),
    );
    const empty = await desk.get('/v1/settlement/reconciliation?date=2026-03-09');
    assert.equal(empty.body.settled.count, 0);
  });

  test('settlements, their endings and ledger entries cannot be changed or removed', async () => {
    for (const sql of [
      'UPDATE ledger_entries SET amount = amount + 1',
      'DELETE FROM ledger_entries',
      "UPDATE settlements SET psn_cash_pay = 0 WHERE settlement_id <> ''",
      'DELETE FROM settlements',
      'DELETE FROM settlement_endings',
    ]) {
      // The triggers refuse it; on PostgreSQL the service's role has no such privilege to begin with.
      await assert.rejects(store().run(sql), /never changed or removed|permission denied/, sql);
    }
    await ledgerIsSound();
  });

  test('a new policy version applies from its effective day; earlier settlements keep theirs', async () => {
    const draft = exampleJson('policy-330300-310-2026.json') as {
      effectiveFrom: string;
      parameters: { ratios: { outpatient: Record<string, Record<string, number>> } };
    };
    draft.effectiveFrom = '2026-03-11';
    draft.parameters.ratios.outpatient['2']!.in_service = 6500;
    const published = await t.call('POST', '/v1/settlement/policies', { token: t.adminToken, body: draft });
    assert.equal(published.status, 201, JSON.stringify(published.body));
    assert.equal(published.body.version, 2);
    const c = await insuredCard(t);
    const desk = deskClient(t, desks.h2a, 'desk-2a');
    assert.equal((await desk.quote(c, exampleLines('outpatient-bill.json'))).quote.policy.version, 1);
    clock.advance(DAY_MS);
    try {
      assert.equal((await desk.quote(c, exampleLines('outpatient-bill.json'))).quote.policy.version, 2);
    } finally {
      clock.advance(-DAY_MS);
    }
    const listed = await t.call('GET', '/v1/settlement/policies?region=330300', { token: t.adminToken });
    assert.deepEqual(
      listed.body.policies.map((p: { version: number }) => p.version),
      [1, 2],
    );
  });

  // Last: it leaves the ledger unsound on purpose.
  test('the ledger check finds entries of an account that has no balance row', async () => {
    await ledgerIsSound();
    await store().run(
      `INSERT INTO ledger_entries (txn_id, kind, account, amount, at) VALUES
         ('orphan-1', 'test', 'card_account:NOBODY', 100, '2026-03-10T02:00:00.000Z'),
         ('orphan-1', 'test', 'bank_cash_out', -100, '2026-03-10T02:00:00.000Z')`,
    );
    assert.deepEqual(await verifyLedger(store()), {
      ok: false,
      problem: 'card_account:NOBODY has entries but no balance row',
    });
  });
});
