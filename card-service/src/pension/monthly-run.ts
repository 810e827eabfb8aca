import { appendAudit } from '../audit/audit-log.js';
import { type Clock, chinaDate } from '../clock.js';
import { pension } from '@sscard/registry-protocol';
import { type SilentCertification, certify, silentEvidence, windowStart } from './certification.js';
import { cycleEnd, getEntitlement, recordChange, writeStatus } from './entitlements.js';
import { type Actor, SYSTEM, auditActor } from '../registry/actor.js';
import { account, type Posting, postMany } from '../settlement/ledger.js';
import { insertRows } from '../store/bulk-insert.js';
import { type Queryable, type Store, forUpdate, inJsonArray } from '../store/store.js';
import { type Month, monthsBetween, nextMonth } from './months.js';

/**
 * The monthly pension run: for one paying region (or each in turn), every active entitlement is
 * paid the months due up to the run's month — normally that one month; after a suspension, the
 * months withheld too — as ledger transactions from the region's pension fund payable to the
 * holder's card account.
 *
 * The run works in batches of holders, in person number order. A batch is one transaction: the
 * payments (whose primary key, holder and month, admits each month once), their ledger entries,
 * the card accounts' balances, the entitlements' `paid_through` and the run's counters. A run
 * killed at any point has committed whole batches only; started again, it selects what is still
 * due, so every holder is paid once per month however often it is interrupted.
 */
export interface RunOptions {
  month: Month;
  /** One paying region; every region with entitlements, one after the other, when absent. */
  region?: string | undefined;
  /** Holders per transaction. */
  batchSize?: number;
  /** After each committed batch: holders done in this region so far, of those due at its start. */
  progress?: (p: { region: string; done: number; total: number }) => void;
  /** Who started the run (the operator at the command line); the service itself by default. */
  actor?: Actor;
  /** What certifies a holder whose cycle has lapsed, silently. */
  silentCertification?: SilentCertification;
}

export interface RegionRunReport {
  region: string;
  /** What this call paid (a run started again reports only what was still due). */
  holders: number;
  payments: number;
  amount: number;
}

export const DEFAULT_BATCH = 2000;

interface DueRow {
  person_no: string;
  monthly_amount: number | string;
  first_month: string;
  last_month: string | null;
  paid_through: string | null;
  certified_until: string | null;
  created_at: string;
}

/** Behaviour of the last six months with the card present certifies, whatever its kind. */
export const DEFAULT_SILENT_CERTIFICATION: SilentCertification = {
  windowMonths: 6,
  events: pension.PRESENCE_KINDS,
};

const DUE = `status = 'active' AND paying_region = ? AND first_month <= ? AND (paid_through IS NULL OR paid_through < ?)`;

export async function runPensionMonth(
  store: Store,
  clock: Clock,
  options: RunOptions,
): Promise<RegionRunReport[]> {
  const regions = options.region
    ? [options.region]
    : (
        await store.all<{ paying_region: string }>(
          'SELECT DISTINCT paying_region FROM pension_entitlements ORDER BY paying_region',
        )
      ).map((r) => r.paying_region);
  const reports: RegionRunReport[] = [];
  for (const region of regions) reports.push(await runRegion(store, clock, region, options));
  return reports;
}

async function runRegion(
  store: Store,
  clock: Clock,
  region: string,
  options: RunOptions,
): Promise<RegionRunReport> {
  const { month } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const actor = options.actor ?? SYSTEM;
  const silent = options.silentCertification ?? DEFAULT_SILENT_CERTIFICATION;
  const startedAt = clock().toISOString();
  await store.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO pension_runs (month, region, started_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (month, region) DO NOTHING`,
      [month, region, startedAt, startedAt],
    );
  });
  const counted = await store.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM pension_entitlements WHERE ${DUE}`,
    [region, month, month],
  );
  const total = Number(counted?.n ?? 0);
  const report: RegionRunReport = { region, holders: 0, payments: 0, amount: 0 };
  options.progress?.({ region, done: 0, total });
  let after = '';
  let processed = 0;
  for (;;) {
    const batch = await store.transaction((tx) =>
      payBatch(tx, clock, region, month, after, batchSize, actor, silent),
    );
    if (batch.selected === 0) break;
    after = batch.last;
    processed += batch.selected;
    report.holders += batch.holders;
    report.payments += batch.payments;
    report.amount += batch.amount;
    options.progress?.({ region, done: processed, total });
  }
  await store.transaction(async (tx) => {
    const at = clock().toISOString();
    const done = await tx.run(
      'UPDATE pension_runs SET completed_at = ?, updated_at = ? WHERE month = ? AND region = ? AND completed_at IS NULL',
      [at, at, month, region],
    );
    if (done.changes > 0) {
      const run = await tx.get<{
        holders: number | string;
        payments: number | string;
        amount: number | string;
      }>('SELECT holders, payments, amount FROM pension_runs WHERE month = ? AND region = ?', [
        month,
        region,
      ]);
      await appendAudit(tx, clock, {
        ...auditActor(actor),
        action: 'pension.runCompleted',
        subject: `pension run ${month} ${region}`,
        result: 'ok',
        details: {
          holders: Number(run?.holders),
          payments: Number(run?.payments),
          amount: Number(run?.amount),
        },
      });
    }
  });
  return report;
}

/** One batch: the next holders due after `after`, paid in the caller's transaction. */
async function payBatch(
  tx: Queryable,
  clock: Clock,
  region: string,
  month: Month,
  after: string,
  size: number,
  actor: Actor,
  silent: SilentCertification,
): Promise<{ selected: number; holders: number; payments: number; amount: number; last: string }> {
  // Locked on PostgreSQL: a status change (a death, a suspension) waits for the batch or the batch
  // for it, and a second run of the region re-reads what the first committed.
  const due = await tx.all<DueRow>(
    `SELECT person_no, monthly_amount, first_month, last_month, paid_through, certified_until, created_at FROM pension_entitlements
     WHERE ${DUE} AND person_no > ? ORDER BY person_no LIMIT ?${forUpdate(tx.dialect)}`,
    [region, month, month, after, size],
  );
  if (due.length === 0) return { selected: 0, holders: 0, payments: 0, amount: 0, last: after };
  const now = clock();
  const at = now.toISOString();
  const lapsed = await screenCertification(tx, clock, due, now, silent, actor);
  const terms = await paymentTerms(tx, due);
  const payments: [string, string, number, string, string, string, string][] = [];
  const postings: Posting[] = [];
  const paid: string[] = [];
  let amount = 0;
  for (const d of due) {
    if (lapsed.has(d.person_no)) continue;
    const from =
      d.paid_through === null || d.paid_through < d.first_month ? d.first_month : nextMonth(d.paid_through);
    const to = d.last_month !== null && d.last_month < month ? d.last_month : month;
    const months = monthsBetween(from, to).filter((m) => terms.payable(d.person_no, m));
    if (months.length === 0) continue;
    paid.push(d.person_no);
    for (const m of months) {
      const fen = terms.amount(d.person_no, m) ?? Number(d.monthly_amount);
      const txnId = `pension:${d.person_no}:${m}`;
      payments.push([d.person_no, m, fen, region, month, at, txnId]);
      postings.push({
        txnId,
        entries: [
          { account: account.pensionFundPayable(region), amount: -fen },
          { account: account.card(d.person_no), amount: fen },
        ],
      });
      amount += fen;
    }
  }
  await insertRows(
    tx,
    'pension_payments',
    ['person_no', 'month', 'amount:BIGINT', 'paying_region', 'run_month', 'paid_at', 'txn_id'],
    payments,
  );
  await postMany(tx, 'pension_payment', postings, at);
  await tx.run(
    `UPDATE pension_entitlements SET paid_through = CASE WHEN last_month IS NOT NULL AND last_month < ? THEN last_month ELSE ? END
     WHERE ${inJsonArray(tx.dialect, 'person_no')}`,
    [month, month, JSON.stringify(paid)],
  );
  await tx.run(
    `UPDATE pension_runs SET holders = holders + ?, payments = payments + ?, amount = amount + ?, updated_at = ?
     WHERE month = ? AND region = ?`,
    [paid.length, payments.length, amount, at, month, region],
  );
  await appendAudit(tx, clock, {
    ...auditActor(actor),
    action: 'pension.pay',
    subject: `pension run ${month} ${region}`,
    result: 'ok',
    details: {
      holders: paid.length,
      payments: payments.length,
      amount,
      first: due[0]!.person_no,
      last: due.at(-1)!.person_no,
    },
  });
  return {
    selected: due.length,
    holders: paid.length,
    payments: payments.length,
    amount,
    last: due.at(-1)!.person_no,
  };
}

/**
 * What a batch's holders are paid for a month: the amount in force from the latest re-assessment
 * not after it (undefined for a holder never re-assessed: the entitlement's amount), and whether
 * the month falls in a period never paid (a term of imprisonment). One query each per batch.
 */
async function paymentTerms(
  tx: Queryable,
  due: readonly DueRow[],
): Promise<{
  amount(personNo: string, m: Month): number | undefined;
  payable(personNo: string, m: Month): boolean;
}> {
  const ids = JSON.stringify(due.map((d) => d.person_no));
  const amounts = new Map<string, { from: Month; fen: number }[]>();
  for (const r of await tx.all<{ person_no: string; from_month: string; monthly_amount: number | string }>(
    `SELECT person_no, from_month, monthly_amount FROM pension_amounts WHERE ${inJsonArray(tx.dialect, 'person_no')}
     ORDER BY person_no, from_month`,
    [ids],
  )) {
    const list = amounts.get(r.person_no) ?? [];
    list.push({ from: r.from_month, fen: Number(r.monthly_amount) });
    amounts.set(r.person_no, list);
  }
  const unpaid = new Map<string, { from: Month; to: Month }[]>();
  for (const r of await tx.all<{ person_no: string; from_month: string; to_month: string }>(
    `SELECT person_no, from_month, to_month FROM pension_unpaid_periods WHERE ${inJsonArray(tx.dialect, 'person_no')}`,
    [ids],
  )) {
    const list = unpaid.get(r.person_no) ?? [];
    list.push({ from: r.from_month, to: r.to_month });
    unpaid.set(r.person_no, list);
  }
  return {
    amount: (personNo, m) => amounts.get(personNo)?.findLast((a) => a.from <= m)?.fen,
    payable: (personNo, m) => !unpaid.get(personNo)?.some((p) => p.from <= m && m <= p.to),
  };
}

/**
 * The holders of a batch whose certification cycle has lapsed: each is certified silently when
 * counted behaviour with the card present falls in the window, else suspended — not paid from
 * this run on, until a certification makes the pension active again. Answers the suspended.
 */
async function screenCertification(
  tx: Queryable,
  clock: Clock,
  due: readonly DueRow[],
  now: Date,
  silent: SilentCertification,
  actor: Actor,
): Promise<Set<string>> {
  const today = chinaDate(now);
  const lapsed = due.filter(
    (d) => (d.certified_until ?? cycleEnd(chinaDate(new Date(d.created_at)))) < today,
  );
  const suspended = new Set<string>();
  if (lapsed.length === 0) return suspended;
  const evidence = await silentEvidence(
    tx,
    lapsed.map((d) => d.person_no),
    windowStart(now, silent.windowMonths),
    silent.events,
  );
  for (const d of lapsed) {
    const seen = evidence.get(d.person_no);
    if (seen) {
      await certify(
        tx,
        clock,
        {
          personNo: d.person_no,
          certifiedAt: seen.at,
          method: 'silent',
          terminalId: seen.terminalId,
          operatorId: null,
          evidence: { kind: seen.kind, at: seen.at, region: seen.region },
        },
        actor,
      );
      continue;
    }
    const e = (await getEntitlement(tx, d.person_no))!;
    const after = {
      ...e,
      status: 'suspended' as const,
      suspendedFor: 'certification' as const,
      updatedAt: now.toISOString(),
    };
    await writeStatus(tx, after);
    await recordChange(tx, clock, after, 'suspend', 'certification lapsed', actor, {
      certifiedUntil: e.certifiedUntil,
    });
    suspended.add(d.person_no);
  }
  return suspended;
}

interface RunRow {
  month: string;
  region: string;
  started_at: string;
  updated_at: string;
  completed_at: string | null;
  holders: number | string;
  payments: number | string;
  amount: number | string;
}

export async function listRuns(q: Queryable, month: Month) {
  const rows = await q.all<RunRow>('SELECT * FROM pension_runs WHERE month = ? ORDER BY region', [month]);
  return rows.map((r) => ({
    month: r.month,
    region: r.region,
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    holders: Number(r.holders),
    payments: Number(r.payments),
    amount: Number(r.amount),
  }));
}
