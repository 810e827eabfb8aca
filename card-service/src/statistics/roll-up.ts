import type { Logger } from '@sscard/log';
import { type Clock, addDays, chinaDate } from '../clock.js';
import { insertRows } from '../store/bulk-insert.js';
import type { Queryable, SqlValue, Store } from '../store/store.js';
import { type DayRange, dayRange, daysFrom } from './days.js';

/**
 * The daily roll-ups behind the statistics, kept by a job rather than in the transactions of the
 * events they count. Why: the events are written on the service's hottest paths (identity checks
 * are group-committed audit entries; settlements and pension runs lock holders' rows), and a
 * counter row per day and region there would be one more row every concurrent request of that
 * region waits for — on PostgreSQL with several processes, a lock that serialises them. Instead
 * the job recomputes a whole day from the events of that day (read through an index on their
 * time), and replaces the day's rows in one short transaction: running it twice gives the same
 * rows, a crash leaves the day's previous rows, and a day missed while the service was down is
 * caught up on the next run.
 *
 * Every event counted is append-only and is counted on the day it happened: a settlement on its
 * business day, its cancellation or reversal on the day of that ending (never by changing the
 * settlement's day), so a day's figures stop changing once the day is over. A day is recomputed
 * until it is two days old (commits around midnight), then marked final and left alone.
 *
 * Holders, cards by status and the pension certification rate are states, not events: the job
 * takes them as a snapshot of the current state for today, at most every `snapshotMinutes`
 * (a full count of the holders and cards tables, which is why not on every run), and the last
 * snapshot of a day stands as that day's.
 */

/** Instants in the flow tables counted for a day: [start, end) of the China day. */
const FLOWS: ReadonlyArray<{
  table: string;
  columns: readonly string[];
  sql: string;
  params(range: DayRange): SqlValue[];
}> = [
  {
    // The terminal's region and type; a check by a terminal no longer in the table counts as unknown.
    table: 'stats_identity_checks',
    columns: ['day', 'region', 'terminal_type', 'result', 'checks:BIGINT'],
    sql: `SELECT COALESCE(t.region, '000000') AS region, COALESCE(t.type, 'unknown') AS terminal_type,
        a.result AS result, COUNT(*) AS n
      FROM audit_log a LEFT JOIN terminals t ON t.terminal_id = a.terminal_id
      WHERE a.action = 'identity.check' AND a.at >= ? AND a.at < ?
      GROUP BY COALESCE(t.region, '000000'), COALESCE(t.type, 'unknown'), a.result`,
    params: (r) => [r.start, r.end],
  },
  {
    // A replacement card's issue counts as issued too; the replaced card's event as replaced.
    table: 'stats_card_events',
    columns: ['day', 'region', 'event', 'events:BIGINT'],
    sql: `SELECT c.issuing_region AS region,
        CASE WHEN h.action IN ('issue', 'issueTemporary') THEN 'issued'
             WHEN h.action = 'replace' THEN 'replaced' ELSE 'lost' END AS event,
        COUNT(*) AS n
      FROM registry_history h JOIN cards c ON c.card_number = h.entity_id
      WHERE h.entity = 'card' AND h.at >= ? AND h.at < ?
        AND h.action IN ('issue', 'issueTemporary', 'replace', 'reportTemporaryLoss', 'reportFormalLoss')
      GROUP BY c.issuing_region,
        CASE WHEN h.action IN ('issue', 'issueTemporary') THEN 'issued'
             WHEN h.action = 'replace' THEN 'replaced' ELSE 'lost' END`,
    params: (r) => [r.start, r.end],
  },
  {
    table: 'stats_settlements',
    columns: [
      'day',
      'region',
      'kind',
      'settlements:BIGINT',
      'medfee_sumamt:BIGINT',
      'hifp_pay:BIGINT',
      'hifmi_pay:BIGINT',
      'acct_pay:BIGINT',
      'psn_cash_pay:BIGINT',
    ],
    sql: `SELECT insured_region AS region, 'settled' AS kind, COUNT(*) AS n, SUM(medfee_sumamt) AS a,
        SUM(hifp_pay) AS b, SUM(hifmi_pay) AS c, SUM(acct_pay) AS d, SUM(psn_cash_pay) AS e
      FROM settlements WHERE business_date = ? GROUP BY insured_region
      UNION ALL
      SELECT s.insured_region AS region, 'ended' AS kind, COUNT(*) AS n, SUM(s.medfee_sumamt) AS a,
        SUM(s.hifp_pay) AS b, SUM(s.hifmi_pay) AS c, SUM(s.acct_pay) AS d, SUM(s.psn_cash_pay) AS e
      FROM settlement_endings x JOIN settlements s ON s.settlement_id = x.settlement_id
      WHERE x.ended_at >= ? AND x.ended_at < ? GROUP BY s.insured_region`,
    params: (r) => [r.day, r.start, r.end],
  },
  {
    table: 'stats_pensions',
    columns: ['day', 'region', 'month', 'payments:BIGINT', 'amount:BIGINT'],
    sql: `SELECT paying_region AS region, month, COUNT(*) AS n, SUM(amount) AS a
      FROM pension_payments WHERE paid_at >= ? AND paid_at < ? GROUP BY paying_region, month`,
    params: (r) => [r.start, r.end],
  },
  {
    // An alert about no holder (a terminal's behaviour) or an unknown one counts under 000000.
    table: 'stats_alerts',
    columns: ['day', 'region', 'rule_code', 'raised:BIGINT'],
    sql: `SELECT COALESCE(h.region, '000000') AS region, r.rule_code AS rule_code, COUNT(*) AS n
      FROM risk_alerts r LEFT JOIN holders h ON h.person_no = r.person_no
      WHERE r.raised_at >= ? AND r.raised_at < ? GROUP BY COALESCE(h.region, '000000'), r.rule_code`,
    params: (r) => [r.start, r.end],
  },
];

const SNAPSHOTS: ReadonlyArray<{
  table: string;
  columns: readonly string[];
  sql: string;
  params(today: string, now: Date): SqlValue[];
}> = [
  {
    table: 'stats_holders',
    columns: ['day', 'region', 'holders:BIGINT'],
    sql: 'SELECT region, COUNT(*) AS n FROM holders GROUP BY region',
    params: () => [],
  },
  {
    table: 'stats_cards',
    columns: ['day', 'region', 'status', 'cards:BIGINT'],
    sql: 'SELECT issuing_region AS region, status, COUNT(*) AS n FROM cards GROUP BY issuing_region, status',
    params: () => [],
  },
  {
    // Pensioners not stopped; certified while their cycle has not ended. A cycle recorded before
    // certification was (null) runs twelve months from the grant.
    table: 'stats_pension_certification',
    columns: ['day', 'region', 'active:BIGINT', 'certified:BIGINT'],
    sql: `SELECT paying_region AS region, COUNT(*) AS n,
        SUM(CASE WHEN certified_until >= ? OR (certified_until IS NULL AND created_at >= ?) THEN 1 ELSE 0 END) AS c
      FROM pension_entitlements WHERE status <> 'stopped' GROUP BY paying_region`,
    params: (today, now) => [today, new Date(now.getTime() - 365 * 86_400_000).toISOString()],
  },
];

/** A result row as the engines give it (PostgreSQL's SUM of BIGINT is numeric, read as text). */
type Counted = Record<string, string | number | null>;

function valuesOf(day: string, row: Counted): SqlValue[] {
  return [day, ...Object.values(row).map((v) => (v === null ? 0 : typeof v === 'number' ? String(v) : v))];
}

/**
 * A day's district rows, and the same summed for each city, province and the country: a page
 * then reads the rows of one level (a few dozen a day), never all districts of the period.
 * `columns` are the table's after `level`: day, region, the other keys, then the counts (BIGINT).
 */
function atEveryLevel(columns: readonly string[], rows: SqlValue[][]): SqlValue[][] {
  const counts = columns.map((c) => c.endsWith(':BIGINT'));
  const sums = new Map<string, SqlValue[]>();
  for (const row of rows) {
    for (const level of [3, 2, 1, 0]) {
      const region = String(row[1]).slice(0, level * 2);
      const keyed = row.map((v, i) => (i === 1 ? region : v));
      const key = JSON.stringify([level, ...keyed.filter((_, i) => !counts[i])]);
      const sum = sums.get(key);
      if (!sum) sums.set(key, [level, ...keyed]);
      else
        for (const [i, v] of keyed.entries())
          if (counts[i]) sum[i + 1] = String(Number(sum[i + 1]) + Number(v));
    }
  }
  return [...sums.values()];
}

async function replaceDay(
  tx: Queryable,
  table: string,
  columns: readonly string[],
  day: string,
  rows: SqlValue[][],
) {
  await tx.run(`DELETE FROM ${table} WHERE day = ?`, [day]);
  await insertRows(tx, table, ['level:BIGINT', ...columns], atEveryLevel(columns, rows));
}

/** Recomputes one day's flow tables, and today's snapshots when asked, then records the day. */
export async function rollUpDay(
  store: Store,
  day: string,
  options: { snapshot: boolean; final: boolean; now: Date },
): Promise<void> {
  const range = dayRange(day);
  // Read outside the write transaction: the counting is the long part, and it must not hold
  // sqlite3's write lock (or PostgreSQL row locks) while it runs.
  const flows = await Promise.all(
    FLOWS.map(async (f) => (await store.all<Counted>(f.sql, f.params(range))).map((r) => valuesOf(day, r))),
  );
  const today = chinaDate(options.now);
  const snapshots = options.snapshot
    ? await Promise.all(
        SNAPSHOTS.map(async (s) =>
          (await store.all<Counted>(s.sql, s.params(today, options.now))).map((r) => valuesOf(day, r)),
        ),
      )
    : [];
  const at = options.now.toISOString();
  await store.transaction(async (tx) => {
    // Every service process runs the job: two replacing the same day at once would both delete
    // before either inserted (PostgreSQL), so the replacements take turns.
    if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(7301016)');
    for (const [i, f] of FLOWS.entries()) await replaceDay(tx, f.table, f.columns, day, flows[i]!);
    for (const [i, s] of SNAPSHOTS.entries()) {
      if (options.snapshot) await replaceDay(tx, s.table, s.columns, day, snapshots[i]!);
    }
    const snapshotAt = options.snapshot ? at : null;
    const known = await tx.get('SELECT day FROM stats_days WHERE day = ?', [day]);
    if (known) {
      await tx.run(
        'UPDATE stats_days SET computed_at = ?, final = ?, snapshot_at = COALESCE(?, snapshot_at) WHERE day = ?',
        [at, options.final ? 1 : 0, snapshotAt, day],
      );
    } else {
      await tx.run('INSERT INTO stats_days (day, computed_at, final, snapshot_at) VALUES (?, ?, ?, ?)', [
        day,
        at,
        options.final ? 1 : 0,
        snapshotAt,
      ]);
    }
  });
}

export interface RollUpOptions {
  /** How often the job runs; 0: only when asked (`rollUpStatistics`). */
  intervalSeconds: number;
  /** At most how far back a first run (or one after a long stop) catches up. */
  backfillDays: number;
  /** Snapshots of today are taken at most this often. */
  snapshotMinutes: number;
}

/** The first day any counted event happened (each read is the first entry of an index). */
async function firstEventDay(store: Queryable): Promise<string | undefined> {
  const rows = await Promise.all([
    store.get<{ at: string | null }>("SELECT MIN(at) AS at FROM audit_log WHERE action = 'identity.check'"),
    store.get<{ at: string | null }>("SELECT MIN(at) AS at FROM registry_history WHERE entity = 'card'"),
    store.get<{ at: string | null }>('SELECT MIN(ended_at) AS at FROM settlement_endings'),
    store.get<{ at: string | null }>('SELECT MIN(paid_at) AS at FROM pension_payments'),
    store.get<{ at: string | null }>('SELECT MIN(raised_at) AS at FROM risk_alerts'),
  ]);
  const days = rows
    .map((r) => r?.at)
    .filter((at): at is string => typeof at === 'string')
    .map((at) => chinaDate(new Date(at)));
  const settled = await store.get<{ day: string | null }>(
    'SELECT MIN(business_date) AS day FROM settlements',
  );
  if (settled?.day) days.push(settled.day);
  return days.sort()[0];
}

/**
 * The roll-up job: catches up on start, then runs every `intervalSeconds`; one run at a time. It is
 * the service's daily job: after the roll-ups it runs the `daily` checks (the standing fund checks),
 * which each keep to once a day themselves. Every service process runs it; each day's roll-up is
 * replaced whole in one transaction, so several processes give the same rows.
 */
export class StatisticsRollUp {
  private running: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastSnapshotMs = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: RollUpOptions,
    private readonly log: Logger,
    private readonly daily: (now: Date) => Promise<unknown> = async () => undefined,
  ) {}

  start(): void {
    if (this.options.intervalSeconds === 0) return;
    const tick = () => {
      this.run().catch((e: unknown) =>
        this.log.error('statistics roll-up failed', { error: e instanceof Error ? e.message : String(e) }),
      );
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  /**
   * Brings the roll-ups up to date: the days from `from` (default: the day after the last final
   * one, or the first event's day, at most `backfillDays` back) to `to` (default today), with
   * today's snapshots when they are due or `snapshot` is asked for.
   */
  run(request: { from?: string; to?: string; snapshot?: boolean } = {}): Promise<{
    days: string[];
    snapshotDay: string | null;
    computedAt: string;
  }> {
    const next = this.running.then(() => this.runOnce(request));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async runOnce(request: { from?: string; to?: string; snapshot?: boolean }) {
    const now = this.clock();
    const today = chinaDate(now);
    const earliest = addDays(today, -this.options.backfillDays);
    let from = request.from;
    if (from === undefined) {
      const last = await this.store.get<{ day: string | null }>(
        'SELECT MAX(day) AS day FROM stats_days WHERE final = 1',
      );
      from = last?.day ? addDays(last.day, 1) : ((await firstEventDay(this.store)) ?? today);
    }
    if (from < earliest) from = earliest;
    const to = request.to !== undefined && request.to < today ? request.to : today;
    const snapshotDue =
      request.snapshot === true ||
      now.getTime() - this.lastSnapshotMs >= this.options.snapshotMinutes * 60_000;
    const days = daysFrom(from, to);
    const finalBefore = addDays(today, -1);
    for (const day of days) {
      const snapshot = day === today && snapshotDue;
      await rollUpDay(this.store, day, { snapshot, final: day < finalBefore, now });
      if (snapshot) this.lastSnapshotMs = now.getTime();
    }
    // A failing daily check is logged; the roll-ups it follows are committed and stand.
    await this.daily(now).catch((e: unknown) =>
      this.log.error('daily checks failed', { error: e instanceof Error ? e.message : String(e) }),
    );
    return {
      days,
      snapshotDay: days.includes(today) && snapshotDue ? today : null,
      computedAt: now.toISOString(),
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
