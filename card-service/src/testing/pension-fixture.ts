import assert from 'node:assert/strict';
import { makeCitizenId } from '@sscard/card-core';
import type { Clock } from '../clock.js';
import { createEntitlement } from '../pension/entitlements.js';
import { monthsBetween } from '../pension/months.js';
import { holderFromInput } from '../registry/holders.js';
import { insertHolders } from '../registry/queries.js';
import { verifyLedger } from '../settlement/ledger.js';
import type { Store } from '../store/store.js';

export const OPERATOR = { kind: 'operator' as const, id: 'pension-test' };

export interface Pensioner {
  personNo: string;
  monthlyAmount: number;
  firstMonth: string;
  payingRegion: string;
}

/**
 * `count` holders, each granted a pension: amounts, first months and paying regions vary with the
 * index, so that runs meet backlogs (a first month before the run's) and several regions.
 */
export async function addPensioners(
  store: Store,
  clock: Clock,
  count: number,
  opts: { regions: readonly string[]; firstMonths: readonly string[]; prefix?: string },
): Promise<Pensioner[]> {
  const prefix = opts.prefix ?? 'PEN';
  const holders = Array.from({ length: count }, (_, i) =>
    holderFromInput(
      {
        personNo: `${prefix}${String(i).padStart(6, '0')}`,
        idNumber: makeCitizenId('330302', `19${50 + (i % 10)}0${1 + (i % 9)}1${i % 9}`, i % 1000),
        name: '退休人员',
        ethnicity: '01',
        region: '330300',
      },
      clock(),
    ),
  );
  await store.transaction((tx) => insertHolders(tx, holders));
  const out: Pensioner[] = [];
  for (const [i, h] of holders.entries()) {
    const p: Pensioner = {
      personNo: h.personNo,
      monthlyAmount: 150_000 + i * 137,
      firstMonth: opts.firstMonths[i % opts.firstMonths.length]!,
      payingRegion: opts.regions[i % opts.regions.length]!,
    };
    await createEntitlement(store, clock, p, OPERATOR);
    out.push(p);
  }
  return out;
}

/**
 * What every run must leave, whatever killed it: each holder's payments are distinct months with
 * no gap from the first month (the months a suspension withheld are paid together on resumption);
 * an active holder is paid through `month`; each payment is one ledger transaction of two entries,
 * fund payable −amount and card account +amount; card balances equal the payments; the ledger
 * balances; and the runs' counters count the payments they made.
 */
export async function assertPaidOnce(store: Store, month: string): Promise<{ payments: number }> {
  const ents = await store.all<{
    person_no: string;
    first_month: string;
    status: string;
    paid_through: string | null;
    monthly_amount: number | string;
  }>('SELECT person_no, first_month, status, paid_through, monthly_amount FROM pension_entitlements');
  const payments = await store.all<{
    person_no: string;
    month: string;
    amount: number | string;
    txn_id: string;
  }>('SELECT person_no, month, amount, txn_id FROM pension_payments ORDER BY person_no, month');
  const byHolder = new Map<string, string[]>();
  for (const p of payments) {
    const list = byHolder.get(p.person_no) ?? [];
    list.push(p.month);
    byHolder.set(p.person_no, list);
  }
  for (const e of ents) {
    const months = byHolder.get(e.person_no) ?? [];
    const last = months.at(-1);
    assert.equal(last ?? null, e.paid_through, `${e.person_no}: paid through its last payment`);
    assert.deepEqual(
      months,
      last ? monthsBetween(e.first_month, last) : [],
      `${e.person_no}: no gap, no repeat`,
    );
    if (e.status === 'active' && e.first_month <= month)
      assert.equal(last, month, `${e.person_no}: paid to ${month}`);
    const balance = await store.get<{ balance: number | string }>(
      'SELECT balance FROM card_accounts WHERE person_no = ?',
      [e.person_no],
    );
    const paid = payments
      .filter((p) => p.person_no === e.person_no)
      .reduce((s, p) => s + Number(p.amount), 0);
    assert.equal(Number(balance?.balance ?? 0), paid, `${e.person_no}: card balance is what was paid`);
  }
  const entries = await store.all<{ txn_id: string; n: number | string; s: number | string }>(
    "SELECT txn_id, COUNT(*) AS n, SUM(amount) AS s FROM ledger_entries WHERE kind = 'pension_payment' GROUP BY txn_id",
  );
  assert.equal(entries.length, payments.length, 'one ledger transaction per payment');
  const txns = new Set(payments.map((p) => p.txn_id));
  for (const t of entries) {
    assert.ok(txns.has(t.txn_id), `${t.txn_id} is a payment`);
    assert.equal(Number(t.n), 2);
    assert.equal(Number(t.s), 0);
  }
  const ledger = await verifyLedger(store);
  assert.ok(ledger.ok, JSON.stringify(ledger));
  const runs = await store.all<{ run_month: string; counted: number | string; made: number | string }>(
    `SELECT p.run_month, (SELECT SUM(payments) FROM pension_runs r WHERE r.month = p.run_month) AS counted,
       COUNT(*) AS made FROM pension_payments p GROUP BY p.run_month`,
  );
  for (const r of runs)
    assert.equal(Number(r.counted), Number(r.made), `run ${r.run_month} counted its payments`);
  return { payments: payments.length };
}
