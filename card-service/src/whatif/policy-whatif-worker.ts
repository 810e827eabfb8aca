import { parentPort, workerData } from 'node:worker_threads';
import { PolicyWhatIfTally } from './policy-whatif-tally.js';
import type { FromReplayWorker, ReplayWorkerData, ToReplayWorker } from './policy-whatif-threads.js';
import { ReplayState } from './settlement-replay.js';

// A worker thread of policy-whatif-threads.ts: replays the parts of the pages it is sent and, when
// told the pages are done, answers its tally.
const data = workerData as ReplayWorkerData;
const state = new ReplayState({ versions: new Map(data.versions), endings: new Map(data.endings) });
const tally = new PolicyWhatIfTally(data.year);
const port = parentPort!;
port.on('message', (m: ToReplayWorker) => {
  if (m.kind === 'part') {
    state.replayText(m.part, tally.add);
    port.postMessage({ kind: 'replayed' } satisfies FromReplayWorker);
  } else {
    port.postMessage({ kind: 'tally', tally: tally.state() } satisfies FromReplayWorker);
  }
});
