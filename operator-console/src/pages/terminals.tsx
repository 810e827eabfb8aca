import { TERMINAL_TYPES, type TerminalRecord, type TerminalType } from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { call, mayCall } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, when } from '../ui.js';
import { type PageProps, registerPage } from './registry.js';

const TYPE_WORDS: Record<TerminalType, string> = {
  kiosk: '自助机',
  hospital: '医院',
  pharmacy: '药店',
  bank: '银行',
  bureau: '社保经办柜台',
};

const STATUS_WORDS: Record<TerminalRecord['status'], string> = {
  pending: '待注册',
  active: '在用',
  revoked: '已吊销',
};

function TerminalsPage(props: PageProps) {
  const list = useLoad(() => call('listTerminals'), []);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const mayManage = mayCall(props.operator.scopes, 'revokeTerminal');

  const revoke = async (t: TerminalRecord): Promise<void> => {
    if (!confirm(`吊销终端 ${t.terminalId}？它的下一次请求即被拒绝。`)) return;
    try {
      await call('revokeTerminal', { params: { terminalId: t.terminalId } });
      setNotice({ kind: 'ok', text: `终端 ${t.terminalId} 已吊销` });
      list.reload();
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };

  return (
    <>
      {mayCall(props.operator.scopes, 'createEnrolmentCode') && <EnrolmentCodeForm onMade={list.reload} />}
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      <Loading what={list} />
      {list.data && (
        <DataTable
          testId="terminals"
          rows={list.data.terminals}
          rowKey={(t) => t.terminalId}
          columns={[
            { title: '终端编号', cell: (t) => t.terminalId },
            { title: '类型', cell: (t) => TYPE_WORDS[t.type] },
            { title: '区划', cell: (t) => t.region },
            {
              title: '状态',
              cell: (t) => <span class={`status-${t.status}`}>{STATUS_WORDS[t.status]}</span>,
            },
            { title: '注册时间', cell: (t) => when(t.enrolledAt) },
            { title: '最近联系', cell: (t) => <span data-testid="last-seen">{when(t.lastSeenAt)}</span> },
            { title: '吊销时间', cell: (t) => when(t.revokedAt) },
            {
              title: '操作',
              cell: (t) =>
                mayManage && t.status !== 'revoked' ? (
                  <button
                    type="button"
                    class="btn danger"
                    data-action="revoke"
                    onClick={() => void revoke(t)}
                  >
                    吊销
                  </button>
                ) : null,
            },
          ]}
        />
      )}
    </>
  );
}

function EnrolmentCodeForm(props: { onMade(): void }) {
  const [terminalId, setTerminalId] = useState('');
  const [type, setType] = useState<TerminalType>('kiosk');
  const [region, setRegion] = useState('');
  const [made, setMade] = useState<{ code: string; terminalId: string; expiresAt: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  return (
    <form
      class="inline-form"
      data-testid="enrolment-form"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          setMade(await call('createEnrolmentCode', { body: { terminalId, type, region } }));
          setError(undefined);
          props.onMade();
        } catch (err) {
          setMade(undefined);
          setError(messageOf(err));
        }
      }}
    >
      <h2>生成注册码</h2>
      <label>
        终端编号
        <input
          name="terminalId"
          value={terminalId}
          onInput={(e) => setTerminalId(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        类型
        <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value as TerminalType)}>
          {TERMINAL_TYPES.map((t) => (
            <option key={t} value={t}>
              {TYPE_WORDS[t]}
            </option>
          ))}
        </select>
      </label>
      <label>
        区划代码
        <input
          name="region"
          value={region}
          pattern="[1-9][0-9]{5}"
          onInput={(e) => setRegion(e.currentTarget.value)}
          required
        />
      </label>
      <button type="submit" class="btn primary">
        生成
      </button>
      {made && (
        <Notice kind="ok">
          终端 {made.terminalId} 的注册码（只显示这一次）：
          <code data-testid="enrolment-code">{made.code}</code>，{when(made.expiresAt)} 前有效
        </Notice>
      )}
      {error && <Notice kind="error">{error}</Notice>}
    </form>
  );
}

registerPage({
  id: 'terminals',
  title: '终端',
  group: 'work',
  order: 30,
  needs: 'listTerminals',
  component: TerminalsPage,
});
