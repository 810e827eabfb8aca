import type { OperationId, whatif } from '@sscard/registry-protocol';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.js';
import { DataTable, Notice, count, messageOf, when } from '../ui.js';

/**
 * What the analysis pages share: a run followed while it runs (progress polled from the service),
 * the kept runs of a kind, and two of them compared figure by figure.
 */
const STATUS_WORDS: Record<whatif.AnalysisStatus, string> = {
  running: '运行中',
  done: '完成',
  failed: '失败',
};

type GetOperation = 'getPolicyWhatIf' | 'getPensionProjection' | 'getDataQualityScan';
type ListOperation = 'listPolicyWhatIfs' | 'listPensionProjections';
type CompareOperation = 'comparePolicyWhatIfs' | 'comparePensionProjections';

/** Polls a run until it is no longer running. */
export function useRun(get: GetOperation, jobId: string | undefined): whatif.AnalysisJob | undefined {
  const [job, setJob] = useState<whatif.AnalysisJob | undefined>();
  useEffect(() => {
    if (!jobId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const j = (await call(get, { params: { jobId } })) as whatif.AnalysisJob;
        if (!live) return;
        setJob(j);
        if (j.status === 'running') timer = setTimeout(() => void poll(), 400);
      } catch {
        if (live) timer = setTimeout(() => void poll(), 1000);
      }
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [get, jobId]);
  return job;
}

export function RunProgress(props: { job: whatif.AnalysisJob | undefined }) {
  const j = props.job;
  if (!j) return null;
  const pct = j.total > 0 ? Math.floor((j.done * 100) / j.total) : j.status === 'done' ? 100 : 0;
  return (
    <div class="panel" data-testid="run-progress" data-status={j.status}>
      <p>
        {STATUS_WORDS[j.status]}：{count(j.done)} / {count(j.total)}
      </p>
      <progress max={100} value={pct} />
      {j.error && <Notice kind="error">{j.error}</Notice>}
    </div>
  );
}

/** The kept runs of a kind; two ticked are compared. */
export function RunList(props: {
  list: ListOperation;
  compare: CompareOperation;
  /** A change reads the list again. */
  refresh: string;
  describe(parameters: Record<string, unknown>): string;
  onOpen(jobId: string): void;
}) {
  const [runs, setRuns] = useState<whatif.AnalysisJob[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const [comparison, setComparison] = useState<whatif.Comparison | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    call(props.list as OperationId, { query: { limit: 50 } }).then(
      (a) => setRuns((a as { jobs: whatif.AnalysisJob[] }).jobs),
      (e: unknown) => setError(messageOf(e)),
    );
  }, [props.list, props.refresh]);
  const toggle = (id: string) =>
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const compare = async () => {
    try {
      setComparison(
        (await call(props.compare, { query: { a: picked[0]!, b: picked[1]! } })) as whatif.Comparison,
      );
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section class="panel" data-testid="runs">
      <h2>
        保存的结果
        <button
          type="button"
          class="btn"
          data-action="compare"
          disabled={picked.length !== 2}
          onClick={() => void compare()}
        >
          比较所选两次
        </button>
      </h2>
      {error && <Notice kind="error">{error}</Notice>}
      <DataTable
        rows={runs}
        rowKey={(r) => r.jobId}
        columns={[
          {
            title: '选',
            cell: (r) => (
              <input
                type="checkbox"
                data-job={r.jobId}
                checked={picked.includes(r.jobId)}
                disabled={r.status !== 'done'}
                onChange={() => toggle(r.jobId)}
              />
            ),
          },
          { title: '开始', cell: (r) => when(r.startedAt) },
          { title: '参数', cell: (r) => props.describe(r.parameters) },
          { title: '状态', cell: (r) => STATUS_WORDS[r.status] },
          { title: '操作员', cell: (r) => r.startedBy },
          {
            title: '',
            cell: (r) => (
              <button type="button" class="btn" onClick={() => props.onOpen(r.jobId)}>
                查看
              </button>
            ),
          },
        ]}
      />
      {comparison && (
        <DataTable
          testId="comparison"
          rows={comparison.figures.filter((f) => f.difference !== 0)}
          rowKey={(f) => f.path}
          empty="两次结果的数字完全相同"
          columns={[
            { title: '项目', cell: (f) => f.path },
            { title: 'A', numeric: true, cell: (f) => count(f.a) },
            { title: 'B', numeric: true, cell: (f) => count(f.b) },
            { title: 'B − A', numeric: true, cell: (f) => count(f.difference) },
          ]}
        />
      )}
    </section>
  );
}
