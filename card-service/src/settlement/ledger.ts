import type { Queryable } from '../store/store.js';

/**
 * The settlement ledger: every money movement is one transaction of entries whose amounts sum to
 * zero. An entry moves money out of an account (negative) or into one (positive):
 *
 * - a settlement: pooled fund −hifp_pay, large-expense fund −hifmi_pay, personal account
 *   −acct_pay, institution receivable +(their sum);
 * - a cancellation or reversal: the same entries with the opposite sign;
 * - a contribution to a personal account: contributions of the region −X, personal account +X.
 *
 * Entries are append-only (triggers refuse UPDATE and DELETE). The personal accounts' balances are
 * kept beside them in `personal_accounts` (the row a settlement locks so that two desks cannot
 * spend the same balance), and `verifyLedger` checks them against the entries.
 */
export type LedgerKind = 'settlement' | 'cancellation' | 'reversal' | 'contribution';

export const account = {
  pooledFund: (region: string, scheme: string) => `pooled_fund:${region}:${scheme}`,
  largeExpenseFund: (region: string, scheme: string) => `large_expense_fund:${region}:${scheme}`,
  personal: (personNo: string) => `personal_account:${personNo}`,
  receivable: (institutionId: string) => `institution_receivable:${institutionId}`,
  contributions: (region: string) => `contributions:${region}`,
};

const PERSONAL_PREFIX = 'personal_account:';

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
  for (const e of entries) {
    if (e.amount === 0) continue;
    await tx.run('INSERT INTO ledger_entries (txn_id, kind, account, amount, at) VALUES (?, ?, ?, ?, ?)', [
      txnId,
      kind,
      e.account,
      e.amount,
      at,
    ]);
    if (e.account.startsWith(PERSONAL_PREFIX)) {
      // An update, not an upsert: the engines check the CHECK on an upsert's proposed row, which
      // for a payment is the negative amount itself.
      const personNo = e.account.slice(PERSONAL_PREFIX.length);
      const moved = await tx.run('UPDATE personal_accounts SET balance = balance + ? WHERE person_no = ?', [
        e.amount,
        personNo,
      ]);
      if (moved.changes === 0) {
        await tx.run('INSERT INTO personal_accounts (person_no, balance) VALUES (?, ?)', [
          personNo,
          e.amount,
        ]);
      }
    }
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
 * Every transaction sums to zero, every personal account's balance row equals the sum of its
 * entries, and every personal account with entries has its row.
 */
export async function verifyLedger(q: Queryable): Promise<LedgerVerification> {
  const unbalanced = await q.get<{ txn_id: string; s: number | string }>(
    'SELECT txn_id, SUM(amount) AS s FROM ledger_entries GROUP BY txn_id HAVING SUM(amount) <> 0 LIMIT 1',
  );
  if (unbalanced) return { ok: false, problem: `transaction ${unbalanced.txn_id} sums to ${unbalanced.s}` };
  const mismatch = await q.get<{ person_no: string; balance: number | string; s: number | string | null }>(
    `SELECT p.person_no, p.balance, e.s FROM personal_accounts p
     LEFT JOIN (SELECT account, SUM(amount) AS s FROM ledger_entries WHERE account LIKE 'personal_account:%' GROUP BY account) e
       ON e.account = 'personal_account:' || p.person_no
     WHERE COALESCE(e.s, 0) <> p.balance LIMIT 1`,
  );
  if (mismatch) {
    return {
      ok: false,
      problem: `personal account ${mismatch.person_no}: balance ${mismatch.balance}, entries ${mismatch.s ?? 0}`,
    };
  }
  // A settlement locks a zero row for a person without one; entries without a row are the fault.
  const orphan = await q.get<{ account: string }>(
    `SELECT e.account FROM ledger_entries e
     WHERE e.account LIKE 'personal_account:%'
       AND NOT EXISTS (SELECT 1 FROM personal_accounts p WHERE 'personal_account:' || p.person_no = e.account)
     LIMIT 1`,
  );
  if (orphan) return { ok: false, problem: `${orphan.account} has entries but no balance row` };
  const counts = await q.get<{ t: number | string; n: number | string }>(
    'SELECT COUNT(DISTINCT txn_id) AS t, COUNT(*) AS n FROM ledger_entries',
  );
  return { ok: true, transactions: Number(counts?.t ?? 0), entries: Number(counts?.n ?? 0) };
}
