import { insertRows } from '../store/bulk-insert.js';
import type { Queryable } from '../store/store.js';

/**
 * The settlement ledger: every money movement is one transaction of entries whose amounts sum to
 * zero. An entry moves money out of an account (negative) or into one (positive):
 *
 * - a settlement: pooled fund −hifp_pay, large-expense fund −hifmi_pay, personal account
 *   −acct_pay, institution receivable +(their sum);
 * - a cancellation or reversal: the same entries with the opposite sign;
 * - a contribution to a personal account: contributions of the region −X, personal account +X;
 * - a month's pension: the paying region's pension fund payable −X, the holder's card account +X
 *   (the card's debit account, which a bank withdrawal debits);
 * - a bank withdrawal: the holder's card account −X, the bank counter's cash out +X; its reversal
 *   the same with the opposite sign.
 *
 * Entries are append-only (triggers refuse UPDATE and DELETE). The balances of the accounts a
 * holder spends from are kept beside them, personal accounts in `personal_accounts` (the row a
 * settlement locks so that two desks cannot spend the same balance) and card accounts in
 * `card_accounts`, and `verifyLedger` checks them against the entries.
 */
export type LedgerKind =
  | 'settlement'
  | 'cancellation'
  | 'reversal'
  | 'contribution'
  | 'pension_payment'
  | 'withdrawal'
  | 'withdrawal_reversal';

export const account = {
  pooledFund: (region: string, scheme: string) => `pooled_fund:${region}:${scheme}`,
  largeExpenseFund: (region: string, scheme: string) => `large_expense_fund:${region}:${scheme}`,
  personal: (personNo: string) => `personal_account:${personNo}`,
  receivable: (institutionId: string) => `institution_receivable:${institutionId}`,
  contributions: (region: string) => `contributions:${region}`,
  pensionFundPayable: (region: string) => `pension_fund_payable:${region}`,
  card: (personNo: string) => `card_account:${personNo}`,
  bankCashOut: (terminalId: string) => `bank_cash_out:${terminalId}`,
};

/** The accounts with a balance row: prefix of the account name, the table, its key column. */
const BALANCE_ROWS = [
  { prefix: 'personal_account:', table: 'personal_accounts' },
  { prefix: 'card_account:', table: 'card_accounts' },
] as const;

const balanceRowOf = (accountName: string) => BALANCE_ROWS.find((b) => accountName.startsWith(b.prefix));

export interface LedgerEntry {
  account: string;
  amount: number;
}

export class UnbalancedPostingError extends Error {
  constructor(txnId: string, sum: number) {
    super(`ledger transaction ${txnId} does not balance: its entries sum to ${sum}`);
    this.name = 'UnbalancedPostingError';
  }
}

const LEDGER_COLUMNS = ['txn_id', 'kind', 'account', 'amount:BIGINT', 'at'];

/**
 * Posts one balanced transaction in the caller's database transaction: zero entries are left out,
 * the personal accounts among them move their balance rows in the same step (a balance that would
 * go below zero fails the row's CHECK, rolling everything back).
 */
export async function post(
  tx: Queryable,
  txnId: string,
  kind: LedgerKind,
  entries: readonly LedgerEntry[],
  at: string,
): Promise<void> {
  const sum = entries.reduce((s, e) => s + e.amount, 0);
  if (sum !== 0 || entries.some((e) => !Number.isSafeInteger(e.amount)))
    throw new UnbalancedPostingError(txnId, sum);
  const moving = entries.filter((e) => e.amount !== 0);
  await insertRows(
    tx,
    'ledger_entries',
    LEDGER_COLUMNS,
    moving.map((e) => [txnId, kind, e.account, e.amount, at]),
  );
  for (const e of moving) {
    const row = balanceRowOf(e.account);
    if (row) await moveBalance(tx, row.table, e.account.slice(row.prefix.length), e.amount);
  }
}

async function moveBalance(tx: Queryable, table: string, personNo: string, amount: number): Promise<void> {
  // An update, not an upsert: the engines check the CHECK on an upsert's proposed row, which for a
  // payment is the negative amount itself.
  const moved = await tx.run(`UPDATE ${table} SET balance = balance + ? WHERE person_no = ?`, [
    amount,
    personNo,
  ]);
  if (moved.changes === 0) {
    await tx.run(`INSERT INTO ${table} (person_no, balance) VALUES (?, ?)`, [personNo, amount]);
  }
}

export interface Posting {
  txnId: string;
  entries: readonly LedgerEntry[];
}

/**
 * Posts many balanced transactions of one kind in the caller's database transaction with a few
 * statements whatever their number (the monthly pension run): the entries as one JSON parameter,
 * the balance rows moved once per account. Credits to balance rows are upserted together; a
 * debit moves its row on its own, so that the row's CHECK still refuses an overdraft.
 */
export async function postMany(
  tx: Queryable,
  kind: LedgerKind,
  postings: readonly Posting[],
  at: string,
): Promise<void> {
  const rows: [string, string, string, number, string][] = [];
  const moves = new Map<string, number>();
  for (const p of postings) {
    const sum = p.entries.reduce((s, e) => s + e.amount, 0);
    if (sum !== 0 || p.entries.some((e) => !Number.isSafeInteger(e.amount)))
      throw new UnbalancedPostingError(p.txnId, sum);
    for (const e of p.entries) {
      if (e.amount === 0) continue;
      rows.push([p.txnId, kind, e.account, e.amount, at]);
      if (balanceRowOf(e.account)) moves.set(e.account, (moves.get(e.account) ?? 0) + e.amount);
    }
  }
  await insertRows(tx, 'ledger_entries', LEDGER_COLUMNS, rows);
  for (const b of BALANCE_ROWS) {
    const credits: [string, number][] = [];
    for (const [name, amount] of moves) {
      if (!name.startsWith(b.prefix)) continue;
      const personNo = name.slice(b.prefix.length);
      if (amount > 0) credits.push([personNo, amount]);
      else if (amount < 0) await moveBalance(tx, b.table, personNo, amount);
    }
    if (credits.length === 0) continue;
    await insertRows(
      tx,
      b.table,
      ['person_no', 'balance:BIGINT'],
      credits,
      `ON CONFLICT (person_no) DO UPDATE SET balance = ${b.table}.balance + excluded.balance`,
    );
  }
}

/** An account's balance: the sum of its entries. */
export async function balanceOf(q: Queryable, accountName: string): Promise<number> {
  const row = await q.get<{ s: number | string | null }>(
    'SELECT SUM(amount) AS s FROM ledger_entries WHERE account = ?',
    [accountName],
  );
  return Number(row?.s ?? 0);
}

export type LedgerVerification =
  | { ok: true; transactions: number; entries: number }
  | { ok: false; problem: string };

/**
 * Every transaction sums to zero, every personal and card account's balance row equals the sum of
 * its entries, and every such account with entries has its row.
 */
export async function verifyLedger(q: Queryable): Promise<LedgerVerification> {
  const unbalanced = await q.get<{ txn_id: string; s: number | string }>(
    'SELECT txn_id, SUM(amount) AS s FROM ledger_entries GROUP BY txn_id HAVING SUM(amount) <> 0 LIMIT 1',
  );
  if (unbalanced) return { ok: false, problem: `transaction ${unbalanced.txn_id} sums to ${unbalanced.s}` };
  for (const b of BALANCE_ROWS) {
    const mismatch = await q.get<{ person_no: string; balance: number | string; s: number | string | null }>(
      `SELECT p.person_no, p.balance, e.s FROM ${b.table} p
       LEFT JOIN (SELECT account, SUM(amount) AS s FROM ledger_entries WHERE account LIKE '${b.prefix}%' GROUP BY account) e
         ON e.account = '${b.prefix}' || p.person_no
       WHERE COALESCE(e.s, 0) <> p.balance LIMIT 1`,
    );
    if (mismatch) {
      return {
        ok: false,
        problem: `${b.prefix.slice(0, -1).replace('_', ' ')} ${mismatch.person_no}: balance ${mismatch.balance}, entries ${mismatch.s ?? 0}`,
      };
    }
    // A settlement locks a zero row for a person without one; entries without a row are the fault.
    // Looked up by the balance row's key (the person number after the prefix): compared the other
    // way round, as prefix || person_no, no index serves it and a million accounts take hours.
    const orphan = await q.get<{ account: string }>(
      `SELECT e.account FROM ledger_entries e
       WHERE e.account LIKE '${b.prefix}%'
         AND NOT EXISTS (SELECT 1 FROM ${b.table} p WHERE p.person_no = substr(e.account, ${b.prefix.length + 1}))
       LIMIT 1`,
    );
    if (orphan) return { ok: false, problem: `${orphan.account} has entries but no balance row` };
  }
  const counts = await q.get<{ t: number | string; n: number | string }>(
    'SELECT COUNT(DISTINCT txn_id) AS t, COUNT(*) AS n FROM ledger_entries',
  );
  return { ok: true, transactions: Number(counts?.t ?? 0), entries: Number(counts?.n ?? 0) };
}
