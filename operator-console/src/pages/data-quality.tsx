import type { whatif } from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { call, mayCall } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, when } from '../ui.js';
import { RunProgress, useRun } from './analysis-runs.js';
import { type PageProps, registerPage } from './registry.js';

/**
 * Data quality: the registry's findings (bad check characters, likely duplicates, cards that
 * disagreed at a read), a scan started with its progress on screen, and each finding corrected or
 * dismissed with a note.
 */
const KIND_WORDS: Record<whatif.FindingKind, string> = {
  ID_CHECK_CHARACTER: '身份证校验位错误',
  SAME_ID_NUMBER: '身份证号重复',
  POSSIBLE_DUPLICATE: '疑似重复人员',
  CARD_HOLDER_MISMATCH: '读卡信息与库中不一致',
};

function detailsOf(f: whatif.Finding): string {
  const d = f.details as Record<string, unknown>;
  if (f.kind === 'ID_CHECK_CHARACTER')
    return `${d.idNumber}，校验位 ${d.checkCharacter}，应为 ${d.expected ?? '—'}`;
  if (f.kind === 'POSSIBLE_DUPLICATE') return `出生 ${d.birthDate}，区划 ${d.region}，${d.holders} 人`;
  if (f.kind === 'CARD_HOLDER_MISMATCH') {
    const said = d.cardSaid as { name: string; ssn: string } | null;
    return `${d.reason}，${d.reads} 次，卡上 ${said ? `${said.name} ${said.ssn}` : '—'}，最近 ${when(d.lastReadAt as string)}`;
  }
  return String(d.idNumber ?? '');
}

function DataQualityPage(props: PageProps) {
  const [refresh, setRefresh] = useState(0);
  const [jobId, setJobId] = useState<string | undefined>();
  const job = useRun('getDataQualityScan', jobId);
  const findings = useLoad(
    () => call('listDataQualityFindings', { query: { status: 'open' } }),
    [refresh, job?.status],
  );
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const mayScan = mayCall(props.operator.scopes, 'startDataQualityScan');
  const mayResolve = mayCall(props.operator.scopes, 'resolveDataQualityFinding');

  const scan = async () => {
    try {
      setJobId((await call('startDataQualityScan', { body: {} })).jobId);
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };
  const resolve = async (f: whatif.Finding, action: whatif.ResolveFinding['action'], note: string) => {
    try {
      await call('resolveDataQualityFinding', { params: { findingId: f.findingId }, body: { note, action } });
      setNotice({ kind: 'ok', text: `${KIND_WORDS[f.kind]}（${f.subject}）已处理` });
      setRefresh((r) => r + 1);
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };

  return (
    <>
      {mayScan && (
        <p>
          <button type="button" class="btn primary" data-action="scan" onClick={() => void scan()}>
            检查全库数据质量
          </button>
        </p>
      )}
      <RunProgress job={job} />
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      <Loading what={findings} />
      {findings.data && (
        <DataTable
          testId="findings"
          rows={findings.data.findings}
          rowKey={(f) => f.findingId}
          empty="没有待处理的问题"
          columns={[
            { title: '问题', cell: (f) => KIND_WORDS[f.kind] },
            { title: '对象', cell: (f) => f.subject },
            { title: '详情', cell: detailsOf },
            { title: '发现时间', cell: (f) => when(f.foundAt) },
            {
              title: '处理',
              cell: (f) => (mayResolve ? <ResolveForm finding={f} onResolve={resolve} /> : null),
            },
          ]}
        />
      )}
    </>
  );
}

function ResolveForm(props: {
  finding: whatif.Finding;
  onResolve(f: whatif.Finding, action: whatif.ResolveFinding['action'], note: string): Promise<void>;
}) {
  const f = props.finding;
  const [value, setValue] = useState('');
  const [note, setNote] = useState('');
  const personNo = f.personNos[0]!;
  const correction =
    f.kind === 'ID_CHECK_CHARACTER' || f.kind === 'SAME_ID_NUMBER'
      ? {
          label: '正确的身份证号',
          action: (): whatif.ResolveFinding['action'] => ({
            kind: 'correctIdNumber',
            personNo,
            idNumber: value.trim().toUpperCase(),
          }),
        }
      : f.kind === 'CARD_HOLDER_MISMATCH'
        ? {
            label: '库中姓名改为',
            action: (): whatif.ResolveFinding['action'] => ({
              kind: 'correctHolder',
              personNo,
              changes: { name: value.trim() },
            }),
          }
        : undefined;
  return (
    <form
      class="resolve"
      data-finding={f.findingId}
      onSubmit={(e) => {
        e.preventDefault();
        const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
        const action =
          submitter?.value === 'correct' && correction ? correction.action() : ({ kind: 'dismiss' } as const);
        void props.onResolve(f, action, note);
      }}
    >
      {correction && (
        <input
          name="value"
          placeholder={correction.label}
          aria-label={correction.label}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          size={20}
        />
      )}
      <input
        name="note"
        placeholder="处理说明"
        aria-label="处理说明"
        required
        value={note}
        onInput={(e) => setNote(e.currentTarget.value)}
        size={16}
      />
      {correction && (
        <button type="submit" class="btn primary" name="action" value="correct">
          更正
        </button>
      )}
      <button type="submit" class="btn" name="action" value="dismiss">
        无需更正
      </button>
    </form>
  );
}

registerPage({
  id: 'data-quality',
  title: '数据质量',
  group: 'work',
  order: 40,
  needs: 'listDataQualityFindings',
  component: DataQualityPage,
});
