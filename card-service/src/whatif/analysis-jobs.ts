import { randomUUID } from 'node:crypto';
import type { Logger } from '@sscard/log';
import type { whatif } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import type { Store } from '../store/store.js';

/**
 * Analyses run in the background of the service process that started them: the row is written
 * first (running, 0 of n), progress is written as it goes, and the result with the parameters it
 * came from is kept. The running process beats on the row; a run whose process stopped (its beat
 * older than `STALE_MS`) is marked failed when next read, never left running. Several service
 * processes on one store see each other's runs alike.
 */
export type Progress = (done: number, total: number) => Promise<void>;

/** Does the work; reports progress; checks `stopped` between steps. */
export type AnalysisWork<R> = (progress: Progress, stopped: () => boolean) => Promise<R>;

interface JobRow {
  job_id: string;
  kind: whatif.AnalysisKind;
  status: whatif.AnalysisStatus;
  done: number | string;
  total: number | string;
  parameters: string;
  result: string | null;
  error: string | null;
  started_by: string;
  started_at: string;
  finished_at: string | null;
}

const fromRow = (r: JobRow, withResult: boolean): whatif.AnalysisJob => ({
  jobId: r.job_id,
  kind: r.kind,
  status: r.status,
  done: Number(r.done),
  total: Number(r.total),
  parameters: JSON.parse(r.parameters) as Record<string, unknown>,
  result: withResult && r.result !== null ? (JSON.parse(r.result) as Record<string, unknown>) : null,
  error: r.error,
  startedBy: r.started_by,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Progress is written at most this often (ms), besides the first and the last. */
const PROGRESS_EVERY_MS = 500;
const HEARTBEAT_MS = 10_000;
const STALE_MS = 60_000;

export class AnalysisJobs {
  private readonly running = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Marks runs whose process stopped beating as failed. */
  async failInterrupted(): Promise<number> {
    const now = this.clock();
    const r = await this.store.run(
      `UPDATE analysis_jobs SET status = 'failed', error = ?, finished_at = ?
       WHERE status = 'running' AND heartbeat_at < ?`,
      [
        'interrupted: the service stopped during the run',
        now.toISOString(),
        new Date(now.getTime() - STALE_MS).toISOString(),
      ],
    );
    return r.changes;
  }

  async start<R extends object>(
    kind: whatif.AnalysisKind,
    parameters: object,
    actor: Actor,
    work: AnalysisWork<R>,
  ): Promise<whatif.AnalysisJob> {
    if (this.stopping) throw new DomainError('ANALYSIS_STOPPED', 'the service is stopping', 503);
    const jobId = randomUUID();
    const startedAt = this.clock().toISOString();
    await this.store.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO analysis_jobs (job_id, kind, status, done, total, parameters, started_by, started_at, heartbeat_at)
         VALUES (?, ?, 'running', 0, 0, ?, ?, ?, ?)`,
        [jobId, kind, JSON.stringify(parameters), actorLabel(actor), startedAt, startedAt],
      );
      await appendAudit(tx, this.clock, {
        ...auditActor(actor),
        action: 'analysis.start',
        subject: `analysis ${jobId}`,
        result: 'ok',
        details: { kind },
      });
    });
    let written = 0;
    const progress: Progress = async (done, total) => {
      const now = Date.now();
      if (now - written < PROGRESS_EVERY_MS && done < total) return;
      written = now;
      await this.store.run(
        'UPDATE analysis_jobs SET done = ?, total = ?, heartbeat_at = ? WHERE job_id = ?',
        [done, total, this.clock().toISOString(), jobId],
      );
    };
    const beat = setInterval(() => {
      this.store
        .run('UPDATE analysis_jobs SET heartbeat_at = ? WHERE job_id = ?', [
          this.clock().toISOString(),
          jobId,
        ])
        .catch(() => undefined);
    }, HEARTBEAT_MS);
    beat.unref();
    const run = (async () => {
      try {
        const result = await work(progress, () => this.stopping);
        await this.store.run(
          `UPDATE analysis_jobs SET status = 'done', result = ?, finished_at = ?, done = total WHERE job_id = ?`,
          [JSON.stringify(result), this.clock().toISOString(), jobId],
        );
      } catch (e) {
        const message = e instanceof DomainError ? e.message : 'the analysis failed';
        if (!(e instanceof DomainError)) this.log.error('analysis failed', { jobId, kind, error: String(e) });
        await this.store
          .run(`UPDATE analysis_jobs SET status = 'failed', error = ?, finished_at = ? WHERE job_id = ?`, [
            message,
            this.clock().toISOString(),
            jobId,
          ])
          .catch((err: unknown) =>
            this.log.error('analysis failure not recorded', { jobId, error: String(err) }),
          );
      } finally {
        clearInterval(beat);
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return this.get(kind, jobId);
  }

  async get(kind: whatif.AnalysisKind, jobId: string): Promise<whatif.AnalysisJob> {
    await this.failInterrupted();
    const row = await this.store.get<JobRow>('SELECT * FROM analysis_jobs WHERE job_id = ? AND kind = ?', [
      jobId,
      kind,
    ]);
    if (!row) throw notFound('analysis', { jobId });
    return fromRow(row, true);
  }

  async list(kind: whatif.AnalysisKind, limit: number): Promise<whatif.AnalysisJob[]> {
    await this.failInterrupted();
    const rows = await this.store.all<JobRow>(
      `SELECT job_id, kind, status, done, total, parameters, NULL AS result, error, started_by, started_at, finished_at
       FROM analysis_jobs WHERE kind = ? ORDER BY started_at DESC, job_id LIMIT ?`,
      [kind, limit],
    );
    return rows.map((r) => fromRow(r, false));
  }

  /** Two finished results of one kind, figure by figure. */
  async compare(kind: whatif.AnalysisKind, a: string, b: string): Promise<whatif.Comparison> {
    const ja = await this.get(kind, a);
    const jb = await this.get(kind, b);
    for (const j of [ja, jb]) {
      if (j.status !== 'done') {
        throw new DomainError('ANALYSIS_NOT_DONE', `analysis ${j.jobId} is ${j.status}`, 409, {
          jobId: j.jobId,
        });
      }
    }
    return { kind, a: ja, b: jb, figures: compareFigures(ja.result, jb.result) };
  }

  /** Lets the runs in flight notice the stop and waits for them to record it. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running]);
  }
}

/**
 * The numeric figures both results hold at the same place; array elements are placed by their
 * identifying fields (month, person group and level, bucket bounds) where they have them.
 */
export function compareFigures(a: unknown, b: unknown): whatif.Comparison['figures'] {
  const out: whatif.Comparison['figures'] = [];
  const flat = (v: unknown, path: string, into: Map<string, number>) => {
    if (typeof v === 'number') into.set(path, v);
    else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) flat(item, `${path}[${labelOf(item, i)}]`, into);
    } else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) flat(x, path ? `${path}.${k}` : k, into);
  };
  const fa = new Map<string, number>();
  const fb = new Map<string, number>();
  flat(a, '', fa);
  flat(b, '', fb);
  for (const [path, x] of fa) {
    const y = fb.get(path);
    if (y !== undefined) out.push({ path, a: x, b: y, difference: y - x });
  }
  return out;
}

const LABELS = ['month', 'year', 'birthYear', 'group', 'personGroup', 'hospitalLevel', 'from', 'to', 'code'];

function labelOf(item: unknown, index: number): string {
  if (item === null || typeof item !== 'object') return String(index);
  const o = item as Record<string, unknown>;
  const parts = LABELS.filter(
    (k) => k in o && (typeof o[k] === 'string' || typeof o[k] === 'number' || o[k] === null),
  ).map((k) => `${k}=${String(o[k])}`);
  return parts.length > 0 ? parts.join(',') : String(index);
}
