import {
  type StatColumn,
  type StatTable,
  type Statistics,
  type StatisticsReport,
  TERMINAL_TYPES,
} from '@sscard/registry-protocol';
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { call, downloadCsv, mayCall } from '../api.js';
import { Chart, type ChartSpec } from '../charts.js';
import { DataTable, Loading, Notice, count, messageOf, useLoad, when, yuan } from '../ui.js';
import { type PageProps, registerPage } from './registry.js';

/**
 * The statistics pages: one report each, for a region (drilled by clicking a region in a chart or
 * table, or through the crumbs above) and a period. The region is the rest of the location
 * (`#/stats-settlements/3303`), so a drilled view can be bookmarked and the browser's back works.
 */

export interface PanelSpec {
  table: string;
  chart?: ChartSpec;
}

const LEVEL_WORDS = { nation: '全国', province: '省', city: '市', district: '区县' } as const;

function cellOf(unit: StatColumn['unit'], value: string | number | undefined) {
  if (value === undefined) return '';
  if (unit === 'fen') return yuan(Number(value));
  if (unit === 'bp') return `${(Number(value) / 100).toFixed(2)}%`;
  if (unit === 'count') return count(Number(value));
  return String(value);
}

function Crumbs(props: { region: string; go(region: string): void }) {
  const steps = [''];
  for (let n = 2; n <= props.region.length; n += 2) steps.push(props.region.slice(0, n));
  return (
    <nav class="crumbs" aria-label="区划" data-testid="crumbs">
      {steps.map((code, i) => (
        <span key={code}>
          {i > 0 && ' › '}
          {code === props.region ? (
            <strong>{code || '全国'}</strong>
          ) : (
            <button type="button" data-region={code} onClick={() => props.go(code)}>
              {code || '全国'}
            </button>
          )}
        </span>
      ))}
    </nav>
  );
}

function Panel(props: {
  report: StatisticsReport;
  name: string;
  table: StatTable;
  spec: PanelSpec;
  query: { region?: string; from?: string; to?: string };
  drill(region: string): void;
}) {
  const [error, setError] = useState<string | undefined>();
  const regionRows = props.table.columns[0]?.key === 'region';
  // A row of a by-region table is a region one level below the one shown: it can be opened.
  const opens = (code: string) => regionRows && code.length > (props.query.region ?? '').length;
  const drill = (code: string) => {
    if (opens(code)) props.drill(code);
  };
  return (
    <section class="panel" data-table={props.name}>
      <h2>
        {props.table.title}
        <button
          type="button"
          class="btn"
          data-action="csv"
          onClick={() =>
            downloadCsv(
              'getStatisticsCsv',
              { params: { report: props.report }, query: { ...props.query, table: props.name } },
              `${props.report}-${props.name}-${props.query.region ?? 'all'}-${props.query.from}-${props.query.to}.csv`,
            ).catch((e: unknown) => setError(messageOf(e)))
          }
        >
          下载 CSV
        </button>
      </h2>
      {error && <Notice kind="error">{error}</Notice>}
      {props.spec.chart && props.table.rows.length > 0 && (
        <Chart table={props.table} spec={props.spec.chart} onPick={regionRows ? drill : undefined} />
      )}
      <DataTable<Record<string, string | number>>
        rows={props.table.rows}
        rowKey={(r) => String(r[props.table.columns[0]!.key])}
        columns={props.table.columns.map((c, i) => ({
          title: c.title,
          numeric: c.unit !== 'text',
          cell: (r) => {
            const value = r[c.key];
            const text = cellOf(c.unit, value);
            if (i === 0 && opens(String(value))) {
              return (
                <button
                  type="button"
                  class="link"
                  data-region={String(value)}
                  onClick={() => drill(String(value))}
                >
                  {text}
                </button>
              );
            }
            return <span data-value={value === undefined ? '' : String(value)}>{text}</span>;
          },
        }))}
        empty="该区划和期间没有数据"
      />
    </section>
  );
}

/** Shown below a report's panels for the region in view (`''`: the country). */
type Extra = (props: PageProps & { region: string }) => JSX.Element | null;

function StatisticsView(
  props: PageProps & {
    report: StatisticsReport;
    panels: readonly PanelSpec[];
    pageId: string;
    extra?: Extra | undefined;
  },
) {
  const region = props.path[0] && /^(\d{2}|\d{4}|\d{6})$/.test(props.path[0]) ? props.path[0] : '';
  // The period the service chose (the last 30 days by its clock) until the operator picks one.
  const [period, setPeriod] = useState<{ from?: string; to?: string }>({});
  const query = { ...(region ? { region } : {}), ...period };
  const report = useLoad<Statistics>(
    () => call('getStatistics', { params: { report: props.report }, query }) as Promise<Statistics>,
    [props.report, region, period.from, period.to],
  );
  const from = report.data?.from ?? period.from ?? '';
  const to = report.data?.to ?? period.to ?? '';
  const go = (code: string) => {
    location.hash = code ? `#/${props.pageId}/${code}` : `#/${props.pageId}`;
  };
  return (
    <>
      <div class="toolbar">
        <Crumbs region={region} go={go} />
        <label>
          自
          <input
            type="date"
            name="from"
            value={from}
            max={to}
            onChange={(e) => setPeriod({ from: e.currentTarget.value, to })}
          />
        </label>
        <label>
          至
          <input
            type="date"
            name="to"
            value={to}
            min={from}
            onChange={(e) => setPeriod({ from, to: e.currentTarget.value })}
          />
        </label>
        {report.data && (
          <span class="muted" data-testid="as-of">
            {LEVEL_WORDS[report.data.region.level]}
            {region && ` ${region}`} · 按{LEVEL_WORDS[report.data.region.childLevel]}汇总 · 数据更新于{' '}
            {when(report.data.asOf)}
          </span>
        )}
      </div>
      <Loading what={report} />
      {report.data &&
        props.panels.map((p) => {
          const t = report.data!.tables[p.table];
          return t ? (
            <Panel
              key={p.table}
              report={props.report}
              name={p.table}
              table={t}
              spec={p}
              query={{ ...query, from, to }}
              drill={go}
            />
          ) : null;
        })}
      {props.extra && <props.extra {...props} region={region} />}
    </>
  );
}

/** Registers a statistics page for one report. */
export function registerStatisticsPage(page: {
  id: string;
  title: string;
  order: number;
  report: StatisticsReport;
  panels: readonly PanelSpec[];
  extra?: Extra;
}): void {
  registerPage({
    id: page.id,
    title: page.title,
    group: 'statistics',
    order: page.order,
    needs: 'getStatistics',
    component: (props: PageProps) => (
      <StatisticsView
        {...props}
        report={page.report}
        panels={page.panels}
        pageId={page.id}
        extra={page.extra}
      />
    ),
  });
}

registerStatisticsPage({
  id: 'stats-registry',
  title: '参保与持卡',
  order: 10,
  report: 'registry',
  panels: [
    { table: 'holdersByRegion', chart: { kind: 'bar', x: 'region', series: ['holders'] } },
    {
      table: 'cardsByStatus',
      chart: {
        kind: 'stacked',
        x: 'region',
        series: ['active', 'issued', 'temporarily_lost', 'lost', 'replaced', 'cancelled'],
      },
    },
    {
      table: 'cardEventsByMonth',
      chart: { kind: 'bar', x: 'month', series: ['issued', 'replaced', 'lost'] },
    },
  ],
});

registerStatisticsPage({
  id: 'stats-identity',
  title: '身份核验',
  order: 20,
  report: 'identity-checks',
  panels: [
    {
      table: 'perDay',
      chart: { kind: 'stacked', x: 'day', series: [...TERMINAL_TYPES, 'unknown'] },
    },
    { table: 'byResult', chart: { kind: 'pie', x: 'result', series: ['checks'] } },
    { table: 'byRegion', chart: { kind: 'bar', x: 'region', series: ['ok', 'checks'] } },
  ],
});

registerStatisticsPage({
  id: 'stats-settlements',
  title: '医保结算',
  order: 30,
  report: 'settlements',
  panels: [
    {
      table: 'perDay',
      chart: { kind: 'stacked', x: 'day', series: ['hifp_pay', 'hifmi_pay', 'acct_pay', 'psn_cash_pay'] },
    },
    { table: 'shares', chart: { kind: 'pie', x: 'part', series: ['amount'] } },
    { table: 'byRegion', chart: { kind: 'bar', x: 'region', series: ['medfee_sumamt'] } },
  ],
});

const DUE_PAGE = 200;

/**
 * The pensioners whose certification ends within 30 days or has ended, for an operator who
 * manages pensions: a page at a time (the country's list runs to millions), soonest first.
 */
function CertificationsDue(props: PageProps & { region: string }) {
  const allowed = mayCall(props.operator.scopes, 'listPensionCertificationsDue');
  // The list is by paying region, which is a district: a wider view lists the whole country.
  const region = props.region.length === 6 ? props.region : undefined;
  // The cursors of the pages opened so far (the first page's is none), kept for the region they
  // were opened in: another region starts again at its first page.
  const [paging, setPaging] = useState<{ region: string | undefined; trail: (string | undefined)[] }>({
    region,
    trail: [undefined],
  });
  const trail = paging.region === region ? paging.trail : [undefined];
  const after = trail.at(-1);
  const due = useLoad(
    () =>
      allowed
        ? call('listPensionCertificationsDue', {
            query: {
              withinDays: 30,
              limit: DUE_PAGE,
              ...(region ? { region } : {}),
              ...(after ? { after } : {}),
            },
          })
        : Promise.resolve(undefined),
    [allowed, region, after],
  );
  if (!allowed) return null;
  const holders = due.data?.holders ?? [];
  const next = due.data?.nextCursor ?? null;
  return (
    <section class="panel" data-table="certificationsDue">
      <h2>
        30 日内到期及已逾期的资格认证（{region ?? '全部区划'}，第 {trail.length} 页，本页 {holders.length}{' '}
        人）
      </h2>
      <Loading what={due} />
      <DataTable
        rows={holders}
        rowKey={(h) => h.personNo}
        empty="没有到期的认证"
        columns={[
          { title: '个人编号', cell: (h) => h.personNo },
          { title: '发放区划', cell: (h) => h.payingRegion },
          { title: '认证有效至', cell: (h) => h.certifiedUntil },
          { title: '状态', cell: (h) => (h.lapsed ? '已逾期' : '将到期') },
        ]}
      />
      <p>
        <button
          type="button"
          data-action="previous"
          disabled={trail.length === 1 || due.loading}
          onClick={() => setPaging({ region, trail: trail.slice(0, -1) })}
        >
          上一页
        </button>{' '}
        <button
          type="button"
          data-action="next"
          disabled={next === null || due.loading}
          onClick={() => next !== null && setPaging({ region, trail: [...trail, next] })}
        >
          下一页
        </button>
      </p>
    </section>
  );
}

registerStatisticsPage({
  id: 'stats-pensions',
  title: '养老金与资格认证',
  order: 40,
  report: 'pensions',
  panels: [
    { table: 'perMonth', chart: { kind: 'bar', x: 'month', series: ['amount'] } },
    { table: 'certification', chart: { kind: 'bar', x: 'region', series: ['rateBp'] } },
  ],
  extra: CertificationsDue,
});

registerStatisticsPage({
  id: 'stats-alerts',
  title: '风险预警统计',
  order: 50,
  report: 'alerts',
  panels: [
    { table: 'byRule', chart: { kind: 'pie', x: 'rule', series: ['raised'] } },
    { table: 'byRegion', chart: { kind: 'bar', x: 'region', series: ['raised'] } },
    { table: 'perDay' },
  ],
});
