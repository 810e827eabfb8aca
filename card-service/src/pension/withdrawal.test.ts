import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { manualClock } from '../clock.js';
import { cardSubject } from '../registry/subjects.js';
import { account, balanceOf, verifyLedger } from '../settlement/ledger.js';
import { type TestService, type TlsIdentity, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { insuredCard } from '../testing/settlement-fixture.js';
import {
  type BankPinKeys,
  bankPinKeys,
  cardCryptogram,
  padPinBlock,
  zonePinBlock,
} from '../testing/withdrawal-fixture.js';
import { runPensionMonth } from './monthly-run.js';

const MONTHLY = 312_456;
const BANK_PIN = '802316';

forEachEngine('bank withdrawal from the card account', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let bank: TlsIdentity;
  const clock = manualClock('2026-12-01T02:00:00Z');
  let keySeq = 0;
  let pinKeys: BankPinKeys;
  before(async () => {
    t = await startTestService(await freshUrl(), join(dataDir(), 'withdrawal'), clock);
    bank = await t.enrolTerminal('bank-01', 'bank');
    pinKeys = await bankPinKeys(t.hsm);
  });
  after(() => t?.service.close());

  const admin = () => ({ token: t.adminToken });
  /** The card's cryptogram with the bank PIN the cardholder typed on the counter's pad. */
  const withdraw = (
    body: { pan: string } & Record<string, unknown>,
    key = `bank-01:${++keySeq}`,
    pin = BANK_PIN,
  ) =>
    t.call('POST', '/v1/pensions/withdrawals', {
      identity: bank,
      body: { ...body, ...padPinBlock(pinKeys, 'bank-01', pin, body.pan) },
      headers: { 'idempotency-key': key },
    });
  const complete = (body: unknown) =>
    t.call('POST', '/v1/pensions/withdrawals/completion', { identity: bank, body });
  let panSeq = 0;
  /** A pensioner paid December 2026, with the card's debit account registered with its bank PIN. */
  const pensioner = async (pin: string | null = BANK_PIN) => {
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
      body: {
        cardNumber: c.cardNumber,
        pan,
        psn: '01',
        ...(pin === null ? {} : { pinBlock: zonePinBlock(pinKeys, pin, pan) }),
      },
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal(registered.body.pinSet, pin !== null);
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
      const done = await complete({ authorisationKey: key, outcome: 'tc', ...card.secondAc('tc') });
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

  test('the bank PIN is verified by the HSM: wrong ones decline with 55 and count, the last try blocks with 75, a new PIN clears them', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    let atc = 40;
    const attempt = (pin: string) => {
      const card = cardCryptogram(keyOf, '3des', p.pan, ++atc, 10_000);
      return withdraw(card.body, undefined, pin).then((a) => ({ ...a, card }));
    };
    const wrong = await attempt('111111');
    assert.equal(wrong.status, 200, JSON.stringify(wrong.body));
    assert.equal(wrong.body.approved, false);
    assert.equal(wrong.body.arc, '55');
    assert.equal(wrong.body.arpc, wrong.card.arpcFor('55'), 'the card is told, for its AAC');
    assert.equal(wrong.body.pinTriesLeft, 2);
    const right = await attempt(BANK_PIN);
    assert.equal(right.body.approved, true, 'a right PIN clears the wrong tries');
    assert.equal(right.body.pinTriesLeft, 3);
    assert.equal((await attempt('111111')).body.pinTriesLeft, 2);
    assert.equal((await attempt('222222')).body.pinTriesLeft, 1);
    const last = await attempt('333333');
    assert.equal(last.body.arc, '75');
    assert.equal(last.body.pinTriesLeft, 0);
    const blocked = await attempt(BANK_PIN);
    assert.equal(blocked.body.arc, '75', 'blocked: the right PIN does not help');
    assert.equal(blocked.body.approved, false);
    assert.equal(await cardBalance(p.personNo), MONTHLY - 10_000);

    // A block under another terminal's PIN key: refused as such, no try counted, nothing spent.
    const card = cardCryptogram(keyOf, '3des', p.pan, ++atc, 10_000);
    const foreign = await t.call('POST', '/v1/pensions/withdrawals', {
      identity: bank,
      body: { ...card.body, ...padPinBlock(pinKeys, 'bank-99', BANK_PIN, p.pan) },
      headers: { 'idempotency-key': `bank-01:${++keySeq}` },
    });
    assert.equal(foreign.status, 400, JSON.stringify(foreign.body));
    assert.equal(foreign.body.code, 'PIN_BLOCK_INVALID');

    const reset = await t.call('POST', '/v1/pensions/debit-accounts/pin', {
      ...admin(),
      body: { pan: p.pan, pinBlock: zonePinBlock(pinKeys, '246810', p.pan) },
    });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal(reset.body.pinTriesLeft, 3);
    assert.equal((await attempt(BANK_PIN)).body.arc, '55', 'the old PIN is gone');
    const renewed = await attempt('246810');
    assert.equal(renewed.body.approved, true, JSON.stringify(renewed.body));
    assert.equal(await cardBalance(p.personNo), MONTHLY - 20_000);

    const audit = await t.service.store.all<{ action: string; result: string; details: string }>(
      "SELECT action, result, details FROM audit_log WHERE action LIKE 'pension.%' AND subject = ? ORDER BY seq",
      [cardSubject(p.cardNumber)],
    );
    const pins = audit.filter((e) => e.action === 'pension.withdrawal').map((e) => JSON.parse(e.details).pin);
    assert.deepEqual(pins.slice(0, 6), ['wrong', 'verified', 'wrong', 'wrong', 'wrong', 'blocked']);
    assert.ok(
      audit.some(
        (e) => e.action === 'pension.withdrawal' && JSON.parse(e.details).reason === 'PIN_BLOCK_INVALID',
      ),
    );
    assert.ok(audit.some((e) => e.action === 'pension.debitAccount.pin'));
    assert.ok(audit.every((e) => !e.details.includes(BANK_PIN) && !e.details.includes('246810')));
  });

  test('an account without a bank PIN refuses withdrawals until the issuer sets one', async () => {
    const p = await pensioner(null);
    const card = cardCryptogram(t.keys.acMasterKeys['3des'], '3des', p.pan, 7, 1_000);
    const refused = await withdraw(card.body);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'BANK_PIN_NOT_SET');
    const set = await t.call('POST', '/v1/pensions/debit-accounts', {
      ...admin(),
      body: {
        cardNumber: p.cardNumber,
        pan: p.pan,
        psn: '01',
        pinBlock: zonePinBlock(pinKeys, BANK_PIN, p.pan),
      },
    });
    assert.equal(set.status, 201, JSON.stringify(set.body));
    assert.equal(set.body.pinSet, true);
    assert.equal((await withdraw(card.body)).body.approved, true);
  });

  test('the card’s TC and AAC are verified by the HSM: a forged one, or one of the other kind, changes nothing', async () => {
    const p = await pensioner();
    const card = cardCryptogram(t.keys.acMasterKeys.sm4, 'sm4', p.pan, 11, 25_000);
    const key = 'bank-01:second-ac';
    assert.equal((await withdraw(card.body, key)).body.approved, true);
    const tc = card.secondAc('tc');
    const forged = await complete({
      authorisationKey: key,
      outcome: 'tc',
      ...tc,
      cryptogram: '5A'.repeat(8),
    });
    assert.equal(forged.status, 403, JSON.stringify(forged.body));
    assert.equal(forged.body.code, 'CRYPTOGRAM_INVALID');
    const aacAsTc = await complete({ authorisationKey: key, outcome: 'tc', ...card.secondAc('aac') });
    assert.equal(aacAsTc.body.code, 'CRYPTOGRAM_INVALID', 'its CVR says AAC');
    const tcAsAac = await complete({ authorisationKey: key, outcome: 'aac', ...tc });
    assert.equal(tcAsAac.body.code, 'CRYPTOGRAM_INVALID', 'its CVR says TC');
    const row = await t.service.store.get<{ status: string }>(
      'SELECT status FROM bank_withdrawals WHERE idempotency_key = ?',
      [key],
    );
    assert.equal(row?.status, 'approved', 'still open');
    assert.equal(await cardBalance(p.personNo), MONTHLY - 25_000);
    const done = await complete({ authorisationKey: key, outcome: 'tc', ...tc });
    assert.equal(done.body.status, 'completed', JSON.stringify(done.body));
    const missing = await complete({ authorisationKey: key, outcome: 'tc' });
    assert.equal(missing.status, 400, 'a TC comes with its cryptogram');
  });

  test('the card’s AAC or the terminal’s reversal gives the money back exactly once', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    const first = cardCryptogram(keyOf, '3des', p.pan, 20, 70_000);
    const aacKey = 'bank-01:aac';
    assert.equal((await withdraw(first.body, aacKey)).body.approved, true);
    assert.equal(await cardBalance(p.personNo), MONTHLY - 70_000);
    const aac = await complete({ authorisationKey: aacKey, outcome: 'aac', ...first.secondAc('aac') });
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

  test('a bank’s day reconciled against the ledger: matches, and every difference listed by kind', async () => {
    const counter = await t.enrolTerminal('bank-02', 'bank');
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    let atc = 100;
    const at = async (key: string, amount: number) => {
      const card = cardCryptogram(keyOf, '3des', p.pan, ++atc, amount);
      const a = await t.call('POST', '/v1/pensions/withdrawals', {
        identity: counter,
        body: { ...card.body, ...padPinBlock(pinKeys, 'bank-02', BANK_PIN, p.pan) },
        headers: { 'idempotency-key': key },
      });
      assert.equal(a.body.approved, true, JSON.stringify(a.body));
      return card;
    };
    const end = (body: Record<string, unknown>) =>
      t.call('POST', '/v1/pensions/withdrawals/completion', { identity: counter, body });
    await end({ authorisationKey: 'k1', outcome: 'tc', ...(await at('k1', 10_000)).secondAc('tc') });
    await end({ authorisationKey: 'k2', outcome: 'aac', ...(await at('k2', 20_000)).secondAc('aac') });
    await at('k3', 30_000);
    await end({ authorisationKey: 'k4', outcome: 'tc', ...(await at('k4', 40_000)).secondAc('tc') });
    await end({ authorisationKey: 'k5', outcome: 'tc', ...(await at('k5', 5_000)).secondAc('tc') });
    await end({ authorisationKey: 'k6', outcome: 'reversal', reason: 'timeout' });

    const bankDay = [
      { terminalId: 'bank-02', authorisationKey: 'k1', paidOut: 10_000 },
      { terminalId: 'bank-02', authorisationKey: 'k2', paidOut: 0 },
      { terminalId: 'bank-02', authorisationKey: 'k3', paidOut: 30_000 },
      { terminalId: 'bank-02', authorisationKey: 'k4', paidOut: 45_000 },
      { terminalId: 'bank-02', authorisationKey: 'k6', paidOut: 0 },
      { terminalId: 'bank-02', authorisationKey: 'ghost', paidOut: 7_000 },
      { terminalId: 'bank-02', authorisationKey: 'k1', paidOut: 10_000 },
    ];
    const reconcile = (withdrawals: unknown[], date = '2026-12-01') =>
      t.call('POST', '/v1/pensions/withdrawals/reconciliation', {
        ...admin(),
        body: { date, terminalIds: ['bank-02'], withdrawals },
      });
    const r = await reconcile(bankDay);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.bank, { count: 7, paidOut: 102_000 });
    assert.deepEqual(r.body.service, { count: 6, paidOut: 85_000 });
    assert.equal(r.body.matched, 3, 'k1, k2 and the voided k6');
    assert.deepEqual(
      r.body.differences.map(
        (d: { authorisationKey: string; kind: string }) => `${d.authorisationKey} ${d.kind}`,
      ),
      [
        'ghost missing_at_service',
        'k1 duplicate_at_bank',
        'k3 open_at_service',
        'k4 amount_differs',
        'k5 missing_at_bank',
      ],
    );
    const k4 = r.body.differences.find((d: { authorisationKey: string }) => d.authorisationKey === 'k4');
    assert.deepEqual([k4.bankPaidOut, k4.ledgerPaidOut, k4.serviceStatus], [45_000, 40_000, 'completed']);
    // Another day has none of them; reconciling reads only, so the same request answers the same.
    const other = await reconcile([], '2026-12-02');
    assert.deepEqual([other.body.service.count, other.body.differences.length], [0, 0]);
    assert.deepEqual((await reconcile(bankDay)).body, r.body);
    const bad = await reconcile([{ terminalId: 'bank-02', authorisationKey: 'k1', paidOut: -1 }]);
    assert.equal(bad.status, 400);
  });

  test('a balance enquiry on the bank PIN: the statement, a wrong PIN declined and counted, the counter spent once, a withdrawal’s cryptogram refused', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys.sm4;
    const enquire = (atc: number, pin = BANK_PIN, key = `bank-01:enquiry-${++keySeq}`) => {
      const { amount: _, ...body } = cardCryptogram(keyOf, 'sm4', p.pan, atc, 0, undefined, 0x31).body;
      return t.call('POST', '/v1/pensions/balance-enquiries', {
        identity: bank,
        body: { ...body, ...padPinBlock(pinKeys, 'bank-01', pin, p.pan) },
        headers: { 'idempotency-key': key },
      });
    };
    const wrong = await enquire(3, '111111');
    assert.equal(wrong.status, 200, JSON.stringify(wrong.body));
    assert.deepEqual(
      [wrong.body.approved, wrong.body.arc, wrong.body.pinTriesLeft, wrong.body.statement],
      [false, '55', 2, null],
    );
    const card = cardCryptogram(keyOf, 'sm4', p.pan, 4, 0, undefined, 0x31);
    const right = await enquire(4, BANK_PIN, 'bank-01:enquiry-right');
    assert.equal(right.status, 200, JSON.stringify(right.body));
    assert.deepEqual([right.body.approved, right.body.arc, right.body.pinTriesLeft], [true, '00', 3]);
    assert.equal(right.body.arpc, card.arpcFor('00'), 'the ARPC for the card over the ARC');
    assert.equal(right.body.statement.cardAccountBalance, MONTHLY);
    assert.equal(right.body.statement.pension.monthlyAmount, MONTHLY);
    // The same key answers the same; the same counter under another key is a replay.
    assert.deepEqual((await enquire(4, BANK_PIN, 'bank-01:enquiry-right')).body, {
      ...right.body,
      replayed: true,
    });
    const replayed = await enquire(4);
    assert.deepEqual([replayed.status, replayed.body.code], [409, 'ATC_REPLAYED']);
    // A withdrawal's cryptogram is no enquiry; nothing moved by any of it.
    const cash = cardCryptogram(keyOf, 'sm4', p.pan, 5, 1_000).body;
    const { amount: _, ...asEnquiry } = cash;
    const refused = await t.call('POST', '/v1/pensions/balance-enquiries', {
      identity: bank,
      body: { ...asEnquiry, ...padPinBlock(pinKeys, 'bank-01', BANK_PIN, p.pan) },
      headers: { 'idempotency-key': 'bank-01:enquiry-cash' },
    });
    // Refused in the enquiry's own words: a bank's integrator is not told of a withdrawal it never sent.
    assert.deepEqual([refused.status, refused.body.code], [400, 'BALANCE_ENQUIRY_DATA_INVALID']);
    assert.match(refused.body.message, /amount authorised \(9F02\)/);
    assert.equal(await cardBalance(p.personNo), MONTHLY);
    // A kiosk has no bank PIN to take.
    const kiosk = await t.enrolTerminal('kiosk-enquiry', 'kiosk');
    const other = await t.call('POST', '/v1/pensions/balance-enquiries', {
      identity: kiosk,
      body: { ...asEnquiry, ...padPinBlock(pinKeys, 'bank-01', BANK_PIN, p.pan) },
      headers: { 'idempotency-key': 'kiosk:1' },
    });
    assert.equal(other.status, 403);
  });

  test('an enquiry’s wrong bank PINs and a withdrawal’s count as one run of tries: the third blocks the PIN for both', async () => {
    const p = await pensioner();
    const keyOf = t.keys.acMasterKeys['3des'];
    const enquire = (atc: number, pin: string) => {
      const { amount: _, ...body } = cardCryptogram(keyOf, '3des', p.pan, atc, 0, undefined, 0x31).body;
      return t.call('POST', '/v1/pensions/balance-enquiries', {
        identity: bank,
        body: { ...body, ...padPinBlock(pinKeys, 'bank-01', pin, p.pan) },
        headers: { 'idempotency-key': `bank-01:enquiry-${++keySeq}` },
      });
    };
    const first = await enquire(1, '111111');
    assert.deepEqual([first.body.arc, first.body.pinTriesLeft], ['55', 2], JSON.stringify(first.body));
    const second = await withdraw(cardCryptogram(keyOf, '3des', p.pan, 2, 10_000).body, undefined, '222222');
    assert.deepEqual([second.body.arc, second.body.pinTriesLeft], ['55', 1], JSON.stringify(second.body));
    const third = await enquire(3, '333333');
    assert.deepEqual([third.body.arc, third.body.pinTriesLeft], ['75', 0], JSON.stringify(third.body));
    const blocked = await withdraw(cardCryptogram(keyOf, '3des', p.pan, 4, 10_000).body);
    assert.deepEqual([blocked.body.approved, blocked.body.arc], [false, '75'], 'the right PIN does not help');
    assert.equal(await cardBalance(p.personNo), MONTHLY);
  });

  test('a busy day of 20,000 withdrawals reconciles in one request; more than the maximum is refused with its reason', async () => {
    // The service's side of the day, as declined authorisations (nothing paid out, nothing in the
    // ledger): written directly, since twenty thousand ARQCs would test the HSM, not reconciliation.
    const day = 20_000;
    const keys = Array.from({ length: day }, (_, i) => `bank-busy:${i}`);
    for (let i = 0; i < day; i += 500) {
      const chunk = keys.slice(i, i + 500);
      await t.service.store.run(
        `INSERT INTO bank_withdrawals (withdrawal_id, terminal_id, idempotency_key, amount, status, authorised_at, completed_at)
         VALUES ${chunk.map(() => "(?, 'bank-busy', ?, 10000, 'declined', ?, ?)").join(', ')}`,
        chunk.flatMap((k) => [`busy-${k}`, k, '2026-11-20T03:00:00.000Z', '2026-11-20T03:00:00.000Z']),
      );
    }
    const bankDay = keys.map((k) => ({ terminalId: 'bank-busy', authorisationKey: k, paidOut: 0 }));
    bankDay[7] = { ...bankDay[7]!, paidOut: 5_000 };
    bankDay.push({ terminalId: 'bank-busy', authorisationKey: 'bank-busy:ghost', paidOut: 1_000 });
    const body = { date: '2026-11-20', terminalIds: ['bank-busy'], withdrawals: bankDay };
    assert.ok(JSON.stringify(body).length > 1024 * 1024, 'well over the service’s usual body limit');
    const r = await t.call('POST', '/v1/pensions/withdrawals/reconciliation', { ...admin(), body });
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    assert.deepEqual(r.body.bank, { count: day + 1, paidOut: 6_000 });
    assert.deepEqual(r.body.service, { count: day, paidOut: 0 });
    assert.equal(r.body.matched, day - 1);
    assert.deepEqual(
      r.body.differences.map(
        (d: { authorisationKey: string; kind: string }) => `${d.authorisationKey} ${d.kind}`,
      ),
      ['bank-busy:7 amount_differs', 'bank-busy:ghost missing_at_service'],
    );

    // Only a caller allowed in gets its large body read: without a token, the refusal, not a 413.
    const anonymous = await t.call('POST', '/v1/pensions/withdrawals/reconciliation', { body });
    assert.deepEqual([anonymous.status, anonymous.body.code], [401, 'TOKEN_REQUIRED']);
    // Every other route keeps the service's limit, and says what it is.
    const elsewhere = await t.call('POST', '/v1/pensions/withdrawals/completion', { identity: bank, body });
    assert.deepEqual([elsewhere.status, elsewhere.body.code], [413, 'BODY_TOO_LARGE']);
    assert.equal(elsewhere.body.details.limitBytes, 64 * 1024);

    // A day over the maximum is refused whole, naming the maximum and the way to split it.
    const tiny = { terminalId: 'b', authorisationKey: 'k', paidOut: 0 };
    const over = await t.call('POST', '/v1/pensions/withdrawals/reconciliation', {
      ...admin(),
      body: { date: '2026-11-20', withdrawals: Array.from({ length: 100_001 }, () => tiny) },
    });
    assert.deepEqual([over.status, over.body.code], [400, 'VALIDATION_FAILED']);
    assert.match(over.body.message, /at most 100000 withdrawals .*in parts by terminal/);
  });

  test('a withdrawal after long inactivity with the certification lapsed raises its alert; a card seen lately does not', async () => {
    const p = await pensioner();
    // The cycle ended in the summer, and the holder has not been certified since.
    await t.service.store.run(
      "UPDATE pension_entitlements SET certified_until = '2026-06-30' WHERE person_no = ?",
      [p.personNo],
    );
    const keyOf = t.keys.acMasterKeys['3des'];
    clock.set('2026-12-20T02:00:00Z');
    const first = await withdraw(cardCryptogram(keyOf, '3des', p.pan, 61, 1_000).body);
    assert.equal(first.body.approved, true, 'an alert, not a refusal');
    const alerts = async () =>
      (
        await t.call(
          'GET',
          `/v1/risk/alerts?ruleCode=WITHDRAWAL_AFTER_INACTIVITY&personNo=${p.personNo}`,
          admin(),
        )
      ).body.alerts as { details: { lastSeen: string | null; certifiedUntil: string } }[];
    const raised = await alerts();
    assert.equal(raised.length, 1, JSON.stringify(raised));
    assert.deepEqual([raised[0]!.details.lastSeen, raised[0]!.details.certifiedUntil], [null, '2026-06-30']);
    clock.set('2026-12-21T02:00:00Z');
    assert.equal((await withdraw(cardCryptogram(keyOf, '3des', p.pan, 62, 1_000).body)).body.approved, true);
    assert.equal((await alerts()).length, 1, 'seen the day before: no new alert');

    // Certified (the cycle runs on): no alert however long unseen.
    const other = await pensioner();
    clock.set('2026-12-22T02:00:00Z');
    await withdraw(cardCryptogram(keyOf, '3des', other.pan, 1, 1_000).body);
    const none = await t.call(
      'GET',
      `/v1/risk/alerts?ruleCode=WITHDRAWAL_AFTER_INACTIVITY&personNo=${other.personNo}`,
      admin(),
    );
    assert.deepEqual(none.body.alerts, []);
  });
});
