import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import { type Actor, auditActor } from '../registry/actor.js';
import { type Store, forUpdate } from '../store/store.js';
import { account, post } from './ledger.js';

/**
 * Contributions to a personal medical account, posted against the contributions account of the
 * holder's region. `reference` (a payroll batch, a transfer) makes a credit happen once: the same
 * reference again answers the balance without posting.
 */
export async function creditPersonalAccount(
  store: Store,
  clock: Clock,
  personNo: string,
  amount: number,
  reference: string,
  actor: Actor,
): Promise<{ personNo: string; balance: number; credited: boolean }> {
  const txnId = `contribution:${personNo}:${reference}`;
  return store.transaction(async (tx) => {
    const holder = await tx.get<{ region: string }>('SELECT region FROM holders WHERE person_no = ?', [
      personNo,
    ]);
    if (!holder) throw notFound('holder');
    // The account's row, locked: two credits with one reference meet here and the second sees the first.
    await tx.run(
      'INSERT INTO personal_accounts (person_no, balance) VALUES (?, 0) ON CONFLICT (person_no) DO NOTHING',
      [personNo],
    );
    await tx.get(`SELECT balance FROM personal_accounts WHERE person_no = ?${forUpdate(tx.dialect)}`, [
      personNo,
    ]);
    const done = await tx.get('SELECT 1 AS x FROM ledger_entries WHERE txn_id = ?', [txnId]);
    if (!done) {
      const at = clock().toISOString();
      await post(
        tx,
        txnId,
        'contribution',
        [
          { account: account.contributions(holder.region), amount: -amount },
          { account: account.personal(personNo), amount },
        ],
        at,
      );
      await appendAudit(tx, clock, {
        ...auditActor(actor),
        action: 'settlement.creditAccount',
        subject: `holder ${personNo}`,
        result: 'ok',
        details: { amount, reference },
      });
    }
    const row = await tx.get<{ balance: number | string }>(
      'SELECT balance FROM personal_accounts WHERE person_no = ?',
      [personNo],
    );
    return { personNo, balance: Number(row?.balance ?? 0), credited: !done };
  });
}
