import { Worker } from 'node:worker_threads';
import type { whatif } from '@sscard/registry-protocol';
import type { PolicyParameters } from '@sscard/registry-protocol/settlement';
import type { Queryable } from '../store/store.js';
import type { PolicyWhatIfTally, TallyState } from './policy-whatif-tally.js';
import { type ReplayOptions, ReplayState, forEachPage, replayContext } from './settlement-replay.js';

/** What a worker thread is started with: all it needs besides its parts of the pages. */
export interface ReplayWorkerData {
  versions: [number, PolicyParameters][];
  endings: [string, string][];
  year: number;
}

export type ToReplayWorker = { kind: 'part'; part: string } | { kind: 'finish' };
export type FromReplayWorker = { kind: 'replayed' } | { kind: 'tally'; tally: TallyState };

/**
 * Pages a worker may have waiting: enough that it never idles while the next page is read, few
 * enough that a slow worker holds up the reading instead of piling texts up in memory.
 */
const PARTS_IN_FLIGHT = 2;

/** A worker thread replaying one part of every page. */
class ReplayWorker {
  private readonly worker: Worker;
  private inFlight = 0;
  private failure: Error | undefined;
  private waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private finished: { resolve: (t: TallyState) => void; reject: (e: Error) => void } | undefined;

  constructor(data: ReplayWorkerData) {
    this.worker = new Worker(new URL('./policy-whatif-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (m: FromReplayWorker) => {
      if (m.kind === 'replayed') {
        this.inFlight--;
        this.waiting?.resolve();
        this.waiting = undefined;
      } else this.finished?.resolve(m.tally);
    });
    const fail = (e: Error) => {
      this.failure ??= e;
      this.waiting?.reject(e);
      this.finished?.reject(e);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`a replay thread ended early (exit code ${code})`)));
  }

  async send(part: string): Promise<void> {
    while (this.inFlight >= PARTS_IN_FLIGHT) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve, reject) => {
        this.waiting = { resolve, reject };
      });
    }
    if (this.failure) throw this.failure;
    this.inFlight++;
    this.worker.postMessage({ kind: 'part', part } satisfies ToReplayWorker);
  }

  finish(): Promise<TallyState> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.finished = { resolve, reject };
      this.worker.postMessage({ kind: 'finish' } satisfies ToReplayWorker);
    });
  }

  async stop(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * The replay split by person over `threads` threads: this thread reads each page, split by the
 * store into one part per thread, hands the other parts to worker threads and replays the first
 * itself; at the end the workers' tallies are added to `tally`. A person's settlements are all in
 * one part, in order, so each thread's replay is the single-thread replay of its persons.
 */
export async function replayOnThreads(
  q: Queryable,
  scope: whatif.PolicyWhatIfRequest,
  threads: number,
  tally: PolicyWhatIfTally,
  options: ReplayOptions,
): Promise<void> {
  const context = await replayContext(q, scope);
  const data: ReplayWorkerData = {
    versions: [...context.versions],
    endings: [...context.endings],
    year: scope.year,
  };
  const workers = Array.from({ length: threads - 1 }, () => new ReplayWorker(data));
  try {
    const here = new ReplayState(context);
    await forEachPage(q, scope, threads, context.total, options, async (page) => {
      for (const [i, worker] of workers.entries()) await worker.send(page.parts[i + 1]!);
      here.replayText(page.parts[0]!, tally.add);
    });
    for (const state of await Promise.all(workers.map((w) => w.finish()))) tally.absorb(state);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}
