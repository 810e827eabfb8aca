import { availableParallelism } from 'node:os';
import type { whatif } from '@sscard/registry-protocol';
import type { Queryable } from '../store/store.js';
import { PolicyWhatIfTally } from './policy-whatif-tally.js';
import { replayOnThreads } from './policy-whatif-threads.js';
import { type ReplayOptions, replaySettlements } from './settlement-replay.js';

/** Beyond four threads the replay waits on the store's pages rather than on calculation. */
const MAX_REPLAY_THREADS = 4;

/**
 * The policy what-if of a region, scheme and year. The replay is split by person over `threads`
 * threads (default: one per core, at most four): this one, which also reads the pages, and worker
 * threads (policy-whatif-threads.ts); each tallies its own persons and the tallies are added up.
 */
export async function runPolicyWhatIf(
  q: Queryable,
  request: whatif.PolicyWhatIfRequest,
  options: ReplayOptions = {},
): Promise<whatif.PolicyWhatIfResult> {
  const tally = new PolicyWhatIfTally(request.year);
  const threads = options.threads ?? Math.min(availableParallelism(), MAX_REPLAY_THREADS);
  if (threads > 1) await replayOnThreads(q, request, threads, tally, options);
  else await replaySettlements(q, request, tally.add, options);
  return tally.result(request.forecast);
}
