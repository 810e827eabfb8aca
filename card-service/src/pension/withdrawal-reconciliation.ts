import { createReadStream } from 'node:fs';
import { pension } from '@sscard/registry-protocol';
import { readCsv } from '../bulk-import/csv.js';
import { DomainError } from '../errors.js';
import { isCalendarDate } from '../registry/validation.js';
import { account } from '../settlement/ledger.js';
import type { Queryable } from '../store/store.js';

type Difference = pension.WithdrawalDifference;

/** The bank counters' cash-out accounts are this and the terminal id. */
const CASH_OUT_PREFIX = account.bankCashOut('');

interface ServiceRow {
  withdrawal_id: string;
  terminal_id: string;
  idempotency_key: string;
  amount: number | string | null;
  status: pension.WithdrawalStatus;
  ledger: number | string | null;
}

/** The instants a business day in China Standard Time covers, as the ISO strings the rows hold. */
function dayBounds(date: string): { from: string; to: string } {
  if (!isCalendarDate(date)) throw new DomainError('BAD_REQUEST', `${date} is not a calendar date`, 400);
  const from = new Date(`${date}T00:00:00+08:00`);
  const to = new Date(from.getTime() + 86_400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** What the ledger must have paid out for a withdrawal in this status. */
function expectedPaidOut(row: ServiceRow): number {
  return row.status === 'approved' || row.status === 'completed' ? Number(row.amount) : 0;
}

const keyOf = (terminalId: string, authorisationKey: string) => `${terminalId}\u0000${authorisationKey}`;

/**
 * The bank's day against the service's: every withdrawal the service authorised that day (or, for
 * a key voided before any authorisation came, ended that day), with what the ledger paid out for
 * it — the withdrawal's debit of the bank counter's cash-out account, minus its reversal — set
 * beside what the bank says it paid out. Reads only; the same request answers the same.
 */
export async function reconcileWithdrawals(
  q: Queryable,
  body: pension.WithdrawalReconciliationBody,
): Promise<pension.WithdrawalReconciliation> {
  const { from, to } = dayBounds(body.date);
  const terminals = body.terminalIds ? [...new Set(body.terminalIds)] : null;
  const rows = await q.all<ServiceRow>(
    `SELECT w.withdrawal_id, w.terminal_id, w.idempotency_key, w.amount, w.status,
       (SELECT SUM(e.amount) FROM ledger_entries e
        WHERE e.txn_id IN (w.txn_id, w.reversal_txn_id) AND e.account = '${CASH_OUT_PREFIX}' || w.terminal_id) AS ledger
     FROM bank_withdrawals w
     WHERE ((w.authorised_at >= ? AND w.authorised_at < ?)
       OR (w.authorised_at IS NULL AND w.completed_at >= ? AND w.completed_at < ?))
     ${terminals ? `AND w.terminal_id IN (${terminals.map(() => '?').join(', ')})` : ''}
     ORDER BY w.terminal_id, w.idempotency_key`,
    [from, to, from, to, ...(terminals ?? [])],
  );
  const differences: Difference[] = [];
  const bank = new Map<string, pension.BankWithdrawalRecord>();
  for (const r of body.withdrawals) {
    const k = keyOf(r.terminalId, r.authorisationKey);
    if (bank.has(k)) {
      differences.push({
        kind: 'duplicate_at_bank',
        terminalId: r.terminalId,
        authorisationKey: r.authorisationKey,
        withdrawalId: null,
        serviceStatus: null,
        bankPaidOut: r.paidOut,
        ledgerPaidOut: null,
      });
      continue;
    }
    bank.set(k, r);
  }
  let matched = 0;
  let servicePaidOut = 0;
  for (const row of rows) {
    const ledgerPaidOut = Number(row.ledger ?? 0);
    servicePaidOut += ledgerPaidOut;
    const k = keyOf(row.terminal_id, row.idempotency_key);
    const theirs = bank.get(k);
    bank.delete(k);
    const difference = (kind: pension.WithdrawalDifferenceKind): Difference => ({
      kind,
      terminalId: row.terminal_id,
      authorisationKey: row.idempotency_key,
      withdrawalId: row.status === 'voided' ? null : row.withdrawal_id,
      serviceStatus: row.status,
      bankPaidOut: theirs?.paidOut ?? null,
      ledgerPaidOut,
    });
    const found: Difference[] = [];
    if (ledgerPaidOut !== expectedPaidOut(row)) found.push(difference('ledger_inconsistent'));
    if (row.status === 'approved') found.push(difference('open_at_service'));
    if (!theirs) {
      if (ledgerPaidOut !== 0) found.push(difference('missing_at_bank'));
    } else if (theirs.paidOut !== ledgerPaidOut) {
      found.push(difference('amount_differs'));
    }
    if (found.length === 0 && theirs) matched++;
    differences.push(...found);
  }
  for (const r of bank.values()) {
    differences.push({
      kind: 'missing_at_service',
      terminalId: r.terminalId,
      authorisationKey: r.authorisationKey,
      withdrawalId: null,
      serviceStatus: null,
      bankPaidOut: r.paidOut,
      ledgerPaidOut: null,
    });
  }
  differences.sort(
    (a, b) =>
      a.terminalId.localeCompare(b.terminalId) ||
      a.authorisationKey.localeCompare(b.authorisationKey) ||
      a.kind.localeCompare(b.kind),
  );
  return {
    date: body.date,
    terminalIds: terminals,
    bank: {
      count: body.withdrawals.length,
      paidOut: body.withdrawals.reduce((sum, r) => sum + r.paidOut, 0),
    },
    service: { count: rows.length, paidOut: servicePaidOut },
    matched,
    differences,
  };
}

/** The columns of a bank's day file, in this order, as its first line. */
export const BANK_DAY_COLUMNS = ['terminal_id', 'authorisation_key', 'paid_out'] as const;

/**
 * A bank's day of withdrawals as CSV (`terminal_id,authorisation_key,paid_out`, paid out in fen):
 * every row checked; the records, or the bad rows by line when there is any. With `terminals`,
 * the rows of those terminals only: a day larger than one reconciliation takes is read in parts.
 * A file (or part) of more than `MAX_BANK_DAY_RECORDS` rows is refused as soon as the row after
 * the maximum is read, not held whole in memory first.
 */
export async function readBankDay(
  file: string,
  terminals?: readonly string[],
): Promise<{ records: pension.BankWithdrawalRecord[]; errors: { line: number; reason: string }[] }> {
  const records: pension.BankWithdrawalRecord[] = [];
  const errors: { line: number; reason: string }[] = [];
  const wanted = terminals ? new Set(terminals) : null;
  let rows = 0;
  let header = true;
  for await (const r of readCsv(createReadStream(file))) {
    if (header) {
      header = false;
      if (r.fields.join(',') !== BANK_DAY_COLUMNS.join(',')) {
        throw new DomainError(
          'IMPORT_HEADER_INVALID',
          `the first line must be ${BANK_DAY_COLUMNS.join(',')}`,
        );
      }
      continue;
    }
    if (wanted && !wanted.has(r.fields[0] ?? '')) continue;
    if (++rows > pension.MAX_BANK_DAY_RECORDS) {
      throw new DomainError(
        'BANK_DAY_TOO_LARGE',
        `${file}: more than ${pension.MAX_BANK_DAY_RECORDS} withdrawals (line ${r.line}); reconcile the day in parts by terminal (--terminals)`,
      );
    }
    if (r.fields.length !== BANK_DAY_COLUMNS.length) {
      errors.push({
        line: r.line,
        reason: `${BANK_DAY_COLUMNS.length} fields expected, ${r.fields.length} found`,
      });
      continue;
    }
    const [terminalId, authorisationKey, paidOut] = r.fields as [string, string, string];
    const parsed = pension.bankWithdrawalRecordSchema.safeParse({
      terminalId,
      authorisationKey,
      paidOut: /^\d{1,12}$/.test(paidOut) ? Number(paidOut) : Number.NaN,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const column = {
        terminalId: 'terminal_id',
        authorisationKey: 'authorisation_key',
        paidOut: 'paid_out',
      }[String(issue.path[0]) as 'terminalId'];
      errors.push({ line: r.line, reason: `${column ?? 'row'}: ${issue.message}` });
      continue;
    }
    records.push(parsed.data);
  }
  return { records, errors };
}
