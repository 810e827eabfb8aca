import type { AuditEntry, AuditVerification } from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { call } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, when } from '../ui.js';
import { type PageProps, registerPage } from './registry.js';

const PAGE = 100;

const REASON_WORDS: Record<string, string> = {
  missing: '缺少记录',
  altered: '记录被改动',
  'out-of-order': '顺序错乱',
  'head-mismatch': '链头不符',
  'checkpoint-mismatch': '与密码机认证的检查点不符',
  truncated: '链尾被截断',
  'checkpoint-forged': '检查点伪造',
  'checkpoint-log-broken': '检查点日志不连续',
};

function Verification() {
  const [result, setResult] = useState<AuditVerification | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [running, setRunning] = useState(false);
  return (
    <section class="panel" data-testid="audit-verify">
      <h2>
        审计链校验
        <button
          type="button"
          class="btn primary"
          data-action="verify"
          disabled={running}
          onClick={async () => {
            setRunning(true);
            try {
              setResult(await call('verifyAudit'));
              setError(undefined);
            } catch (e) {
              setError(messageOf(e));
            } finally {
              setRunning(false);
            }
          }}
        >
          {running ? '校验中…' : '运行校验'}
        </button>
      </h2>
      {error && <Notice kind="error">{error}</Notice>}
      {result &&
        (result.ok ? (
          <Notice kind="ok">
            <span data-testid="audit-result" data-ok="true">
              完整：共 {result.entries} 条，链头 #{result.headSeq}（{result.headHash.slice(0, 16)}…）
              {result.checkpoints !== undefined &&
                `；密码机检查点 ${result.checkpoints} 个，已认证至 #${result.certifiedSeq ?? 0}，其后 ${result.uncertifiedEntries ?? 0} 条待认证`}
            </span>
          </Notice>
        ) : (
          <Notice kind="error">
            <span data-testid="audit-result" data-ok="false">
              不完整：自 #{result.firstBadSeq} 起{REASON_WORDS[result.reason] ?? result.reason}（共{' '}
              {result.entries} 条）
            </span>
          </Notice>
        ))}
    </section>
  );
}

function AuditPage(_props: PageProps) {
  const [after, setAfter] = useState(0);
  const entries = useLoad(() => call('listAudit', { query: { after, limit: PAGE } }), [after]);
  const rows = entries.data?.entries ?? [];
  return (
    <>
      <Verification />
      <div class="toolbar">
        <button
          type="button"
          class="btn"
          disabled={after === 0}
          onClick={() => setAfter(Math.max(0, after - PAGE))}
        >
          上一页
        </button>
        <button
          type="button"
          class="btn"
          data-action="next"
          disabled={rows.length < PAGE}
          onClick={() => setAfter(rows[rows.length - 1]!.seq)}
        >
          下一页
        </button>
        <span class="muted">自 #{after + 1} 起</span>
      </div>
      <Loading what={entries} />
      {entries.data && (
        <DataTable<AuditEntry>
          testId="audit"
          rows={rows}
          rowKey={(e) => String(e.seq)}
          columns={[
            { title: '序号', numeric: true, cell: (e) => e.seq },
            { title: '时间', cell: (e) => when(e.at) },
            { title: '终端', cell: (e) => e.terminalId ?? '' },
            { title: '操作员', cell: (e) => e.operatorId ?? '' },
            { title: '操作', cell: (e) => e.action },
            { title: '对象', cell: (e) => e.subject },
            { title: '结果', cell: (e) => e.result },
            { title: '哈希', cell: (e) => <code title={e.hash}>{e.hash.slice(0, 12)}</code> },
          ]}
        />
      )}
    </>
  );
}

registerPage({
  id: 'audit',
  title: '审计日志',
  group: 'work',
  order: 40,
  needs: 'listAudit',
  component: AuditPage,
});
