import {
  CARD_STATUSES,
  type RegionLevel,
  STATISTICS_REPORTS,
  type StatColumn,
  type StatTable,
  type Statistics,
  type StatisticsReport,
  TERMINAL_TYPES,
} from '@sscard/registry-protocol';
import { type Clock, addDays, chinaDate } from '../clock.js';
import { DomainError } from '../errors.js';
import { invalid } from '../registry/validation.js';
import { daysFrom } from './days.js';
import type { Queryable, SqlValue } from '../store/store.js';

/**
 * The statistics reports, read from the roll-up tables only (statistics/roll-up.ts): each is a
 * handful of grouped sums over rows of (day, six-digit region, …), so a page costs the same at
 * ten million holders as at ten.
 */

const LEVELS: readonly RegionLevel[] = ['nation', 'province', 'city', 'district'];

interface Scope {
  /** The region prefix asked for ('' = the country). */
  prefix: string;
  /** Characters of the region code that name a row of a by-region table. */
  childLength: number;
  from: string;
  to: string;
}

type Row = Record<string, string | number>;

/** PostgreSQL answers SUM and COUNT as text (numeric, bigint): every figure goes through here. */
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

const col = (key: string, title: string, unit: StatColumn['unit']): StatColumn => ({ key, title, unit });

function table(title: string, columns: StatColumn[], rows: Row[]): StatTable {
  return { title, columns, rows };
}

/** Rows of `(key, series, value)` as one row per key with a column per series (zero where absent). */
function pivot(
  rows: { k: string; s: string; v: unknown }[],
  keyName: string,
  series: readonly string[],
): Row[] {
  const out = new Map<string, Row>();
  for (const r of rows) {
    let row = out.get(r.k);
    if (!row) {
      row = { [keyName]: r.k };
      for (const s of series) row[s] = 0;
      out.set(r.k, row);
    }
    row[r.s] = num(row[r.s]) + num(r.v);
  }
  return [...out.values()].sort((a, b) => String(a[keyName]).localeCompare(String(b[keyName])));
}

/**
 * A per-day table with a row for every day of the period: a day without events is a row of
 * zeros, not a gap that a chart would close up.
 */
function everyDay(rows: Row[], s: Scope, blank: (day: string) => Row): Row[] {
  const byDay = new Map(rows.map((r) => [String(r.day), r]));
  return daysFrom(s.from, s.to).map((day) => byDay.get(day) ?? blank(day));
}

/**
 * The roll-ups hold every day's figures at each level of the region tree (statistics/roll-up.ts):
 * a view reads the one row of its own region per day (`own`), or the rows of the regions one
 * level down (`child`), each a range of the (level, region, day) primary key.
 */
const own = (s: Scope): string => `level = ${s.prefix.length / 2} AND region = ?`;
const ownParams = (s: Scope): SqlValue[] => [s.prefix];
// Region codes are digits, which sort before 'A': [prefix, prefix + 'A') is every code under it.
const child = (s: Scope): string => `level = ${s.childLength / 2} AND region >= ? AND region < ?`;
const childParams = (s: Scope): SqlValue[] => [s.prefix, `${s.prefix}A`];

/** The latest day up to `to` whose snapshots were taken. */
async function snapshotDay(q: Queryable, to: string): Promise<string | undefined> {
  const row = await q.get<{ day: string | null }>(
    'SELECT MAX(day) AS day FROM stats_days WHERE snapshot_at IS NOT NULL AND day <= ?',
    [to],
  );
  return row?.day ?? undefined;
}

async function registryReport(q: Queryable, s: Scope): Promise<Record<string, StatTable>> {
  const day = await snapshotDay(q, s.to);
  const holders = day
    ? await q.all<{ region: string; n: unknown }>(
        `SELECT region AS region, SUM(holders) AS n FROM stats_holders
         WHERE day = ? AND ${child(s)} GROUP BY region ORDER BY 1`,
        [day, ...childParams(s)],
      )
    : [];
  const cards = day
    ? await q.all<{ k: string; s: string; v: unknown }>(
        `SELECT region AS k, status AS s, SUM(cards) AS v FROM stats_cards
         WHERE day = ? AND ${child(s)} GROUP BY region, status`,
        [day, ...childParams(s)],
      )
    : [];
  const events = await q.all<{ k: string; s: string; v: unknown }>(
    `SELECT substr(day, 1, 7) AS k, event AS s, SUM(events) AS v FROM stats_card_events
     WHERE day >= ? AND day <= ? AND ${own(s)} GROUP BY substr(day, 1, 7), event`,
    [s.from, s.to, ...ownParams(s)],
  );
  const cardRows = pivot(cards, 'region', CARD_STATUSES).map((r) => ({
    ...r,
    total: CARD_STATUSES.reduce((sum, st) => sum + num(r[st]), 0),
  }));
  const asAt = day ? `（${day} 快照）` : '（尚无快照）';
  return {
    holdersByRegion: table(
      `参保人数 按区划${asAt}`,
      [col('region', '区划', 'text'), col('holders', '人数', 'count')],
      holders.map((r) => ({ region: r.region, holders: num(r.n) })),
    ),
    cardsByStatus: table(
      `社保卡 按状态${asAt}`,
      [
        col('region', '区划', 'text'),
        col('total', '合计', 'count'),
        ...CARD_STATUSES.map((st) => col(st, CARD_STATUS_WORDS[st], 'count')),
      ],
      cardRows,
    ),
    cardEventsByMonth: table(
      '每月发卡、换卡、挂失',
      [
        col('month', '月份', 'text'),
        col('issued', '发卡', 'count'),
        col('replaced', '换卡', 'count'),
        col('lost', '挂失', 'count'),
      ],
      pivot(events, 'month', ['issued', 'replaced', 'lost']),
    ),
  };
}

const CARD_STATUS_WORDS: Record<(typeof CARD_STATUSES)[number], string> = {
  issued: '已制卡',
  active: '正常',
  temporarily_lost: '临时挂失',
  lost: '正式挂失',
  replaced: '已补换',
  cancelled: '已注销',
};

const TERMINAL_WORDS: Record<string, string> = {
  kiosk: '自助机',
  hospital: '医院',
  pharmacy: '药店',
  bank: '银行',
  unknown: '未知终端',
};

async function identityReport(q: Queryable, s: Scope): Promise<Record<string, StatTable>> {
  const byType = await q.all<{ day: string; t: string; ok: unknown; n: unknown }>(
    `SELECT day, terminal_type AS t, SUM(CASE WHEN result = 'ok' THEN checks ELSE 0 END) AS ok, SUM(checks) AS n
     FROM stats_identity_checks WHERE day >= ? AND day <= ? AND ${own(s)} GROUP BY day, terminal_type`,
    [s.from, s.to, ...ownParams(s)],
  );
  const types = [...TERMINAL_TYPES, 'unknown'];
  const perDay = new Map<string, Row>();
  for (const r of byType) {
    let row = perDay.get(r.day);
    if (!row) {
      row = { day: r.day, total: 0, ok: 0, refused: 0 };
      for (const t of types) row[t] = 0;
      perDay.set(r.day, row);
    }
    row.total = num(row.total) + num(r.n);
    row.ok = num(row.ok) + num(r.ok);
    row.refused = num(row.refused) + num(r.n) - num(r.ok);
    row[r.t] = num(row[r.t]) + num(r.n);
  }
  const byResult = await q.all<{ result: string; n: unknown }>(
    `SELECT result, SUM(checks) AS n FROM stats_identity_checks
     WHERE day >= ? AND day <= ? AND ${own(s)} GROUP BY result ORDER BY SUM(checks) DESC, result`,
    [s.from, s.to, ...ownParams(s)],
  );
  const byRegion = await q.all<{ region: string; ok: unknown; n: unknown }>(
    `SELECT region AS region, SUM(CASE WHEN result = 'ok' THEN checks ELSE 0 END) AS ok, SUM(checks) AS n
     FROM stats_identity_checks WHERE day >= ? AND day <= ? AND ${child(s)} GROUP BY region ORDER BY 1`,
    [s.from, s.to, ...childParams(s)],
  );
  return {
    perDay: table(
      '每日身份核验 按终端类型与结果',
      [
        col('day', '日期', 'text'),
        col('total', '合计', 'count'),
        col('ok', '通过', 'count'),
        col('refused', '未通过', 'count'),
        ...types.map((t) => col(t, TERMINAL_WORDS[t]!, 'count')),
      ],
      everyDay([...perDay.values()], s, (day) => ({
        day,
        total: 0,
        ok: 0,
        refused: 0,
        ...Object.fromEntries(types.map((t) => [t, 0])),
      })),
    ),
    byResult: table(
      '核验结果',
      [col('result', '结果', 'text'), col('checks', '次数', 'count')],
      byResult.map((r) => ({ result: r.result, checks: num(r.n) })),
    ),
    byRegion: table(
      '身份核验 按区划',
      [col('region', '区划', 'text'), col('checks', '次数', 'count'), col('ok', '通过', 'count')],
      byRegion.map((r) => ({ region: r.region, checks: num(r.n), ok: num(r.ok) })),
    ),
  };
}

const MONEY = ['medfee_sumamt', 'hifp_pay', 'hifmi_pay', 'acct_pay', 'psn_cash_pay'] as const;

/** Settled minus ended (cancelled or reversed that day): the net figures of a group of rows. */
const netSql = (c: string) => `SUM(CASE WHEN kind = 'settled' THEN ${c} ELSE -${c} END)`;

async function settlementsReport(q: Queryable, s: Scope): Promise<Record<string, StatTable>> {
  const sums = `SUM(CASE WHEN kind = 'settled' THEN settlements ELSE 0 END) AS settled,
    SUM(CASE WHEN kind = 'ended' THEN settlements ELSE 0 END) AS ended,
    ${MONEY.map((m) => `${netSql(m)} AS ${m}`).join(', ')}`;
  const perDay = await q.all<Record<string, unknown>>(
    `SELECT day, ${sums} FROM stats_settlements WHERE day >= ? AND day <= ? AND ${own(s)}
     GROUP BY day ORDER BY day`,
    [s.from, s.to, ...ownParams(s)],
  );
  const byRegion = await q.all<Record<string, unknown>>(
    `SELECT region AS region, ${sums} FROM stats_settlements WHERE day >= ? AND day <= ? AND ${child(s)}
     GROUP BY region ORDER BY 1`,
    [s.from, s.to, ...childParams(s)],
  );
  const money = (r: Record<string, unknown>) => Object.fromEntries(MONEY.map((m) => [m, num(r[m])]));
  const totals = Object.fromEntries(MONEY.map((m) => [m, perDay.reduce((sum, r) => sum + num(r[m]), 0)]));
  const whole = totals.medfee_sumamt ?? 0;
  const share = (part: number) => (whole === 0 ? 0 : Math.round((part * 10_000) / whole));
  const parts = [
    ['hifp_pay', '统筹基金'],
    ['hifmi_pay', '大额医疗'],
    ['acct_pay', '个人账户'],
    ['psn_cash_pay', '现金'],
  ] as const;
  const moneyColumns = [
    col('medfee_sumamt', '医疗费总额', 'fen'),
    col('hifp_pay', '统筹基金支付', 'fen'),
    col('hifmi_pay', '大额医疗支付', 'fen'),
    col('acct_pay', '个人账户支付', 'fen'),
    col('psn_cash_pay', '现金支付', 'fen'),
  ];
  return {
    perDay: table(
      '每日结算（扣除当日撤销、冲正）',
      [
        col('day', '日期', 'text'),
        col('settlements', '结算笔数', 'count'),
        col('ended', '撤销冲正', 'count'),
        ...moneyColumns,
      ],
      everyDay(
        perDay.map((r) => ({
          day: String(r.day),
          settlements: num(r.settled) - num(r.ended),
          ended: num(r.ended),
          ...money(r),
        })),
        s,
        (day) => ({ day, settlements: 0, ended: 0, ...Object.fromEntries(MONEY.map((m) => [m, 0])) }),
      ),
    ),
    shares: table(
      '支付构成',
      [col('part', '支付方式', 'text'), col('amount', '金额', 'fen'), col('shareBp', '占比', 'bp')],
      parts.map(([key, title]) => ({
        part: title,
        amount: totals[key] ?? 0,
        shareBp: share(totals[key] ?? 0),
      })),
    ),
    byRegion: table(
      '结算 按参保区划',
      [col('region', '区划', 'text'), col('settlements', '结算笔数', 'count'), ...moneyColumns],
      byRegion.map((r) => ({
        region: String(r.region),
        settlements: num(r.settled) - num(r.ended),
        ...money(r),
      })),
    ),
  };
}

async function pensionsReport(q: Queryable, s: Scope): Promise<Record<string, StatTable>> {
  const perMonth = await q.all<{ month: string; n: unknown; a: unknown }>(
    `SELECT month, SUM(payments) AS n, SUM(amount) AS a FROM stats_pensions
     WHERE day >= ? AND day <= ? AND ${own(s)} GROUP BY month ORDER BY month`,
    [s.from, s.to, ...ownParams(s)],
  );
  const day = await snapshotDay(q, s.to);
  const cert = day
    ? await q.all<{ region: string; active: unknown; certified: unknown }>(
        `SELECT region AS region, SUM(active) AS active, SUM(certified) AS certified
         FROM stats_pension_certification WHERE day = ? AND ${child(s)} GROUP BY region ORDER BY 1`,
        [day, ...childParams(s)],
      )
    : [];
  const rate = (certified: number, active: number) =>
    active === 0 ? 0 : Math.round((certified * 10_000) / active);
  return {
    perMonth: table(
      '每月养老金发放',
      [col('month', '所属月份', 'text'), col('payments', '笔数', 'count'), col('amount', '金额', 'fen')],
      perMonth.map((r) => ({ month: r.month, payments: num(r.n), amount: num(r.a) })),
    ),
    certification: table(
      `待遇资格认证率 按区划${day ? `（${day} 快照）` : '（尚无快照）'}`,
      [
        col('region', '区划', 'text'),
        col('active', '领取人数', 'count'),
        col('certified', '已认证', 'count'),
        col('rateBp', '认证率', 'bp'),
      ],
      cert.map((r) => ({
        region: r.region,
        active: num(r.active),
        certified: num(r.certified),
        rateBp: rate(num(r.certified), num(r.active)),
      })),
    ),
  };
}

async function alertsReport(q: Queryable, s: Scope): Promise<Record<string, StatTable>> {
  const where = `WHERE ${own(s)} AND day >= ? AND day <= ?`;
  const params = [...ownParams(s), s.from, s.to];
  const childWhere = `WHERE ${child(s)} AND day >= ? AND day <= ?`;
  const childParamsOf = [...childParams(s), s.from, s.to];
  const perDay = await q.all<{ k: string; s: string; v: unknown }>(
    `SELECT day AS k, rule_code AS s, SUM(raised) AS v FROM stats_alerts ${where} GROUP BY day, rule_code`,
    params,
  );
  const byRule = await q.all<{ rule: string; n: unknown }>(
    `SELECT rule_code AS rule, SUM(raised) AS n FROM stats_alerts ${where} GROUP BY rule_code ORDER BY SUM(raised) DESC, rule_code`,
    params,
  );
  const byRegion = await q.all<{ region: string; n: unknown }>(
    `SELECT region, SUM(raised) AS n FROM stats_alerts ${childWhere} GROUP BY region ORDER BY 1`,
    childParamsOf,
  );
  const rules = byRule.map((r) => r.rule);
  return {
    perDay: table(
      '每日风险预警 按规则',
      [col('day', '日期', 'text'), ...rules.map((r) => col(r, r, 'count'))],
      everyDay(pivot(perDay, 'day', rules), s, (day) => ({
        day,
        ...Object.fromEntries(rules.map((r) => [r, 0])),
      })),
    ),
    byRule: table(
      '风险预警 按规则',
      [col('rule', '规则', 'text'), col('raised', '预警数', 'count')],
      byRule.map((r) => ({ rule: r.rule, raised: num(r.n) })),
    ),
    byRegion: table(
      '风险预警 按区划',
      [col('region', '区划', 'text'), col('raised', '预警数', 'count')],
      byRegion.map((r) => ({ region: r.region, raised: num(r.n) })),
    ),
  };
}

const REPORTS: Record<StatisticsReport, (q: Queryable, s: Scope) => Promise<Record<string, StatTable>>> = {
  registry: registryReport,
  'identity-checks': identityReport,
  settlements: settlementsReport,
  pensions: pensionsReport,
  alerts: alertsReport,
};

export function reportName(name: string): StatisticsReport {
  if (!(STATISTICS_REPORTS as readonly string[]).includes(name)) {
    throw new DomainError('REPORT_UNKNOWN', `no statistics report ${name}`, 404, {
      reports: [...STATISTICS_REPORTS],
    });
  }
  return name as StatisticsReport;
}

export async function statisticsReport(
  q: Queryable,
  clock: Clock,
  name: StatisticsReport,
  query: { region?: string | undefined; from?: string | undefined; to?: string | undefined },
): Promise<Statistics> {
  const prefix = query.region ?? '';
  const to = query.to ?? chinaDate(clock());
  const from = query.from ?? addDays(to, -29);
  if (from > to) throw invalid('from', 'the period starts after it ends', { from, to });
  if (addDays(from, 366 * 3) < to) throw invalid('from', 'a period of three years at most', { from, to });
  const level = LEVELS[prefix.length / 2]!;
  const childLength = Math.min(prefix.length + 2, 6);
  const scope: Scope = { prefix, childLength, from, to };
  const asOf = await q.get<{ at: string | null }>('SELECT MAX(computed_at) AS at FROM stats_days');
  return {
    report: name,
    region: { code: prefix, level, childLevel: LEVELS[childLength / 2]! },
    from,
    to,
    asOf: asOf?.at ?? null,
    tables: await REPORTS[name](q, scope),
  };
}

/** One table as CSV: a header of the columns' keys, then the rows; text cells cannot start a formula. */
export function tableCsv(t: StatTable): string {
  const cell = (v: string | number | undefined, unit: StatColumn['unit']): string => {
    if (v === undefined) return '';
    let text = String(v);
    if (unit === 'text' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [t.columns.map((c) => c.key).join(',')];
  for (const row of t.rows) lines.push(t.columns.map((c) => cell(row[c.key], c.unit)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
