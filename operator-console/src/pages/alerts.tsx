import type { RiskAlert, RiskAlertDetail } from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, when, yuan } from '../ui.js';
import { type PageProps, registerPage } from './registry.js';

const SEVERITY_WORDS = { low: '低', medium: '中', high: '高' } as const;
const EVENT_WORDS = {
  settlement: '医保结算',
  'card-presence': '持卡到场',
  'pension-payment': '养老金发放',
  withdrawal: '银行取款',
} as const;

function AlertList() {
  const [status, setStatus] = useState<'open' | 'acknowledged' | 'all'>('open');
  const [ruleCode, setRuleCode] = useState('');
  const [personNo, setPersonNo] = useState('');
  const list = useLoad(
    () =>
      call('listRiskAlerts', {
        query: { status, ruleCode: ruleCode || undefined, personNo: personNo || undefined },
      }),
    [status, ruleCode, personNo],
  );
  return (
    <>
      <form class="toolbar" data-testid="alert-filter" onSubmit={(e) => e.preventDefault()}>
        <label>
          状态
          <select
            name="status"
            value={status}
            onChange={(e) => setStatus(e.currentTarget.value as typeof status)}
          >
            <option value="open">待处理</option>
            <option value="acknowledged">已处理</option>
            <option value="all">全部</option>
          </select>
        </label>
        <label>
          规则
          <input
            name="ruleCode"
            value={ruleCode}
            onChange={(e) => setRuleCode(e.currentTarget.value.trim())}
          />
        </label>
        <label>
          个人编号
          <input
            name="personNo"
            value={personNo}
            onChange={(e) => setPersonNo(e.currentTarget.value.trim())}
          />
        </label>
      </form>
      <Loading what={list} />
      {list.data && (
        <DataTable<RiskAlert>
          testId="alerts"
          rows={list.data.alerts}
          rowKey={(a) => a.alertId}
          empty="没有符合条件的预警"
          columns={[
            { title: '时间', cell: (a) => when(a.raisedAt) },
            {
              title: '规则',
              cell: (a) => (
                <a href={`#/alerts/${encodeURIComponent(a.alertId)}`} data-alert={a.alertId}>
                  {a.ruleCode}
                </a>
              ),
            },
            { title: '级别', cell: (a) => SEVERITY_WORDS[a.severity] },
            { title: '处置', cell: (a) => (a.action === 'block' ? '已拦截' : '预警') },
            { title: '对象', cell: (a) => a.subject },
            {
              title: '待追回',
              numeric: true,
              cell: (a) => (a.amountToRecover === null ? '' : yuan(a.amountToRecover)),
            },
            {
              title: '状态',
              cell: (a) => (a.acknowledgedAt ? `已处理 ${when(a.acknowledgedAt)}` : '待处理'),
            },
          ]}
        />
      )}
    </>
  );
}

function AlertDetail(props: { alertId: string }) {
  const detail = useLoad<RiskAlertDetail>(
    () => call('getRiskAlert', { params: { alertId: props.alertId } }),
    [props.alertId],
  );
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const a = detail.data?.alert;
  return (
    <>
      <p>
        <a href="#/alerts">← 预警列表</a>
      </p>
      <Loading what={detail} />
      {a && detail.data && (
        <>
          <section class="panel" data-testid="alert-detail">
            <h2>
              {a.ruleCode} · {a.words}
            </h2>
            <dl class="facts">
              <dt>预警编号</dt>
              <dd>{a.alertId}</dd>
              <dt>时间</dt>
              <dd>{when(a.raisedAt)}</dd>
              <dt>级别</dt>
              <dd>{SEVERITY_WORDS[a.severity]}</dd>
              <dt>对象</dt>
              <dd>{a.subject}</dd>
              <dt>个人编号</dt>
              <dd>{a.personNo ?? '—'}</dd>
              {a.amountToRecover !== null && (
                <>
                  <dt>待追回</dt>
                  <dd>{yuan(a.amountToRecover)}</dd>
                </>
              )}
              <dt>事实</dt>
              <dd>
                <code>{JSON.stringify(a.details)}</code>
              </dd>
              <dt>状态</dt>
              <dd data-testid="alert-status">
                {a.acknowledgedAt
                  ? `已处理（${a.acknowledgedBy}，${when(a.acknowledgedAt)}）：${a.note}`
                  : '待处理'}
              </dd>
            </dl>
          </section>
          <section class="panel">
            <h2>相关事件</h2>
            <DataTable
              testId="alert-events"
              rows={detail.data.events}
              rowKey={(e) => `${e.kind}:${e.reference}`}
              empty="该时段没有此人的事件"
              columns={[
                { title: '时间', cell: (e) => when(e.at) },
                { title: '事件', cell: (e) => EVENT_WORDS[e.kind] },
                { title: '内容', cell: (e) => e.what },
                { title: '终端', cell: (e) => e.terminalId ?? '' },
                { title: '区划', cell: (e) => e.region ?? '' },
                { title: '金额', numeric: true, cell: (e) => (e.amount === null ? '' : yuan(e.amount)) },
              ]}
            />
          </section>
          {!a.acknowledgedAt && (
            <form
              class="inline-form"
              data-testid="acknowledge"
              onSubmit={async (e) => {
                e.preventDefault();
                try {
                  await call('acknowledgeRiskAlert', { params: { alertId: a.alertId }, body: { note } });
                  setError(undefined);
                  detail.reload();
                } catch (err) {
                  setError(messageOf(err));
                }
              }}
            >
              <h2>处理</h2>
              <label>
                处理说明
                <textarea
                  name="note"
                  rows={2}
                  cols={60}
                  maxLength={500}
                  required
                  value={note}
                  onInput={(e) => setNote(e.currentTarget.value)}
                />
              </label>
              <button type="submit" class="btn primary">
                确认处理
              </button>
              {error && <Notice kind="error">{error}</Notice>}
            </form>
          )}
        </>
      )}
    </>
  );
}

function AlertsPage(props: PageProps) {
  return props.path[0] ? <AlertDetail alertId={props.path[0]} /> : <AlertList />;
}

registerPage({
  id: 'alerts',
  title: '风险预警',
  group: 'work',
  order: 10,
  needs: 'listRiskAlerts',
  component: AlertsPage,
});
