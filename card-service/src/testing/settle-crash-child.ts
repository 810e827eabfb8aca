/**
 * card-service in a process of its own that dies, killed by the kernel (SIGKILL: no exit
 * handlers, nothing flushed), while it handles its first settle request (2207), to prove that a
 * settlement is never half-made nor lost:
 *
 *   node settle-crash-child.js <databaseUrl> <dataDir> <hsmDir> before-commit|after-commit
 *
 * before-commit: the settlement's transaction has written everything and dies before COMMIT.
 * after-commit:  the transaction has committed and the process dies before answering.
 * Prints `listening <url>` once it serves.
 */
import { serveForCrash } from './crash-child-service.js';
import type { Queryable, Store } from '../store/store.js';
import { SettlementEngine } from '../settlement/engine.js';

const [databaseUrl, dataDir, hsmDir, point] = process.argv.slice(2);
if (!databaseUrl || !dataDir || !hsmDir || (point !== 'before-commit' && point !== 'after-commit')) {
  process.stderr.write(
    'usage: settle-crash-child <databaseUrl> <dataDir> <hsmDir> before-commit|after-commit\n',
  );
  process.exit(2);
}

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

type EngineInternals = { store: Store };
const settle = SettlementEngine.prototype.settle;
SettlementEngine.prototype.settle = async function (this: SettlementEngine, ...args) {
  const internals = this as unknown as EngineInternals;
  if (point === 'before-commit') {
    const real = internals.store;
    internals.store = {
      ...real,
      dialect: real.dialect,
      transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
        real.transaction(async (tx) => {
          await fn(tx);
          return die();
        }),
    };
  }
  const answer = await settle.apply(this, args);
  return die() ?? answer;
};

await serveForCrash(databaseUrl, dataDir, hsmDir);
