import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { manualClock } from '../clock.js';
import { account, balanceOf, verifyLedger } from '../settlement/ledger.js';
import { type TestService, type TlsIdentity, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { insuredCard } from '../testing/settlement-fixture.js';
import { cardCryptogram } from '../testing/withdrawal-fixture.js';
import { runPensionMonth } from './monthly-run.js';

const MONTHLY = 312_456;

forEachEngine('bank withdrawal from the card account', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let bank: TlsIdentity;
  const clock = manualClock('2026-12-01T02:00:00Z');
  let keySeq = 0;
  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'withdrawal'), clock);
    bank = await t.enrolTerminal('bank-01', 'bank');
  });
  after(() => t?.service.close());

  const admin = () => ({ token: t.adminToken });
  const withdraw = (body: unknown, key = `bank-01:${++keySeq}`) =>
    t.call('POST', '/v1/pensions/withdrawals', { identity: bank, body, headers: { 'idempotency-key': key } });
  const complete = (body: unknown) =>
    t.call('POST', '/v1/pensions/withdrawals/completion', { identity: bank, body });
  let panSeq = 0;
  /** A pensioner paid December 2026, with the card's debit account registered. */
  const pensioner = async () => {
    const c = await insuredCard(t);
    const granted = await t.call('POST', '/v1/pensions/entitlements', {
      ...admin(),
      body: { personNo: c.personNo, monthlyAmount: MONTHLY, firstMonth: '2026-12', payingRegion: '330300' },
    });
    assert.equal(granted.status, 201, JSON.stringify(granted.body));
    await runPensionMonth(t.service.store, clock, { month: '2026-12', region: '330300' });
    const pan = `62305800000000${String(++panSeq).padStart(4, '0')}1`;
    const registered = await t.call('POST', '/v1/pensions/debit-accounts', {
      ...admin(),
      body: { cardNumber: c.cardNumber, pan, psn: '01' },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    return { ...c, pan };
  };
  const cardBalance = (personNo: string) => balanceOf(t.service.store, account.card(personNo));

  test('a verified ARQC debits the card account once, the ARPC answers it; the same key replays; a TC completes', async () => {
    for (const algorithm of ['3des', 'sm4'] as const) {
      const p = await pensioner();
      const card = cardCryptogram(t.keys.acMasterKeys[algorithm], algorithm, p.pan, 5, 100_000);
      const key = `bank-01:good-${algorithm}`;
      const a = await withdraw(card.body, key);
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.equal(a.body.approved, true);
      assert.equal(a.body.arc, '00');
      assert.equal(a.body.arpc, card.arpcFor('00'), 'the ARPC the card checks');
      assert.equal(a.body.balance, MONTHLY - 100_000);
      const again = await withdraw(card.body, key);
      assert.equal(again.body.replayed, true);
      assert.equal(again.body.withdrawalId, a.body.withdrawalId);
      assert.equal(await cardBalance(p.personNo), MONTHLY - 100_000, 'debited once');
      const done = await complete({ authorisationKey: key, outcome: 'tc', cryptogram: '11'.repeat(8) });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'completed');
      const late = await complete({ authorisationKey: key, outcome: 'reversal', reason: 'timeout' });
      assert.equal(late.status, 409);
      assert.equal(late.body.code, 'WITHDRAWAL_ALREADY_ENDED');
      assert.equal(await cardBalance(p.personNo), MONTHLY - 100_000);
    }
    assert.equal(await balanceOf(t.service.store, account.bankCashOut('bank-01')), 200_000);
    assert.deepEqual((await verifyLedger(t.service.store)).ok, true);
  });

  test('a wrong ARQC is refused with nothing moved and the counter unspent; a replayed or lower counter is refused', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    const forged = cardCryptogram(keyOf, '3des', p.pan, 9, 50_000, () => Buffer.alloc(8, 0x5a));
    const refused = await withdraw(forged.body);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'ARQC_INVALID');
    assert.equal(await cardBalance(p.personNo), MONTHLY);
    const other = cardCryptogram(keyOf, '3des', p.pan, 9, 60_000);
    const tampered = await withdraw({ ...other.body, amount: 6_000_000 });
    assert.equal(tampered.body.code, 'WITHDRAWAL_DATA_INVALID');
    const genuine = await withdraw(other.body);
    assert.equal(genuine.body.approved, true, 'ATC 9 was not spent by the forged cryptogram');
    const replayed = await withdraw(other.body);
    assert.equal(replayed.status, 409);
    assert.equal(replayed.body.code, 'ATC_REPLAYED');
    const lower = await withdraw(cardCryptogram(keyOf, '3des', p.pan, 8, 1_000).body);
    assert.equal(lower.body.code, 'ATC_REPLAYED');
    assert.equal(await cardBalance(p.personNo), MONTHLY - 60_000);
  });

  test('the card’s AAC or the terminal’s reversal gives the money back exactly once', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    const first = cardCryptogram(keyOf, '3des', p.pan, 20, 70_000);
    const aacKey = 'bank-01:aac';
    assert.equal((await withdraw(first.body, aacKey)).body.approved, true);
    assert.equal(await cardBalance(p.personNo), MONTHLY - 70_000);
    const aac = await complete({ authorisationKey: aacKey, outcome: 'aac', cryptogram: '22'.repeat(8) });
    assert.equal(aac.body.status, 'reversed');
    assert.equal(aac.body.reversalTxnId, `withdrawal-reversal:${aac.body.withdrawalId}`);
    const twice = await complete({ authorisationKey: aacKey, outcome: 'reversal', reason: 'card_removed' });
    assert.equal(twice.body.replayed, true);
    assert.equal(await cardBalance(p.personNo), MONTHLY, 'given back once');
    const rows = await t.service.store.all<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM ledger_entries WHERE kind = 'withdrawal_reversal' AND txn_id = ?",
      [aac.body.reversalTxnId],
    );
    assert.equal(Number(rows[0]!.n), 2);

    // A reversal before the authorisation arrived voids the key: the late authorisation is refused.
    const voided = await complete({
      authorisationKey: 'bank-01:lost',
      outcome: 'reversal',
      reason: 'timeout',
    });
    assert.equal(voided.body.status, 'voided');
    const late = await withdraw(cardCryptogram(keyOf, '3des', p.pan, 21, 1_000).body, 'bank-01:lost');
    assert.equal(late.body.code, 'WITHDRAWAL_VOIDED');
    assert.equal(await cardBalance(p.personNo), MONTHLY);
    assert.equal((await verifyLedger(t.service.store)).ok, true);
  });

  test('an insufficient balance or a frozen pension declines with the ARPC of the decline and moves nothing', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys.sm4;
    const tooMuch = cardCryptogram(keyOf, 'sm4', p.pan, 3, MONTHLY + 1);
    const declined = await withdraw(tooMuch.body);
    assert.equal(declined.status, 200, JSON.stringify(declined.body));
    assert.equal(declined.body.approved, false);
    assert.equal(declined.body.arc, '51');
    assert.equal(declined.body.arpc, tooMuch.arpcFor('51'));
    assert.equal(await cardBalance(p.personNo), MONTHLY);

    const died = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo: p.personNo, kind: 'death', date: '2026-11-20' },
    });
    assert.equal(died.status, 200, JSON.stringify(died.body));
    const frozen = await withdraw(cardCryptogram(keyOf, 'sm4', p.pan, 4, 1_000).body);
    assert.equal(frozen.body.approved, false);
    assert.equal(frozen.body.arc, '62');
    assert.equal(await cardBalance(p.personNo), MONTHLY);
    const alerts = await t.call(
      'GET',
      `/v1/risk/alerts?ruleCode=WITHDRAWAL_AFTER_DEATH&personNo=${p.personNo}`,
      admin(),
    );
    assert.equal(alerts.body.alerts.length, 1, JSON.stringify(alerts.body));
    assert.equal(alerts.body.alerts[0].details.attempt, true);
  });

  test('a withdrawal made before the death was registered raises the alert with the amount to recover', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    assert.equal((await withdraw(cardCryptogram(keyOf, '3des', p.pan, 1, 80_000).body)).body.approved, true);
    const died = await t.call('POST', '/v1/pensions/life-events', {
      ...admin(),
      body: { personNo: p.personNo, kind: 'death', date: '2026-11-25' },
    });
    const raised = died.body.alerts.filter(
      (a: { ruleCode: string }) => a.ruleCode === 'WITHDRAWAL_AFTER_DEATH',
    );
    assert.equal(raised.length, 1, JSON.stringify(died.body.alerts));
    assert.equal(raised[0].amountToRecover, 80_000);
  });

  test('only bank terminals withdraw; an unregistered PAN is refused', async () => {
    const kiosk = await t.enrolTerminal('kiosk-w', 'kiosk');
    const p = await pensioner();
    const body = cardCryptogram(t.keys.acMasterKeys['3des'], '3des', p.pan, 30, 1_000).body;
    const fromKiosk = await t.call('POST', '/v1/pensions/withdrawals', {
      identity: kiosk,
      body,
      headers: { 'idempotency-key': 'kiosk-w:1' },
    });
    assert.equal(fromKiosk.status, 403);
    const unknown = await withdraw({ ...body, pan: '6230580000099999991' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'DEBIT_ACCOUNT_UNKNOWN');
    assert.equal(await cardBalance(p.personNo), MONTHLY);
  });

  test('a card in temporary loss is declined as restricted and its use raises the loss alert', async () => {
    const p = await pensioner();
    const lost = await t.call('POST', `/v1/cards/${p.cardNumber}/events`, {
      ...admin(),
      body: { event: 'reportTemporaryLoss' },
    });
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    const a = await withdraw(cardCryptogram(t.keys.acMasterKeys['3des'], '3des', p.pan, 2, 1_000).body);
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.approved, false);
    assert.equal(a.body.arc, '62');
    const alerts = await t.call(
      'GET',
      `/v1/risk/alerts?ruleCode=CARD_IN_LOSS_USED&personNo=${p.personNo}`,
      admin(),
    );
    assert.equal(alerts.body.alerts.length, 1, JSON.stringify(alerts.body));
    assert.equal(await cardBalance(p.personNo), MONTHLY);
  });
});
