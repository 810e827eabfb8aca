/**
 * The monthly pension run in a process of its own that kills itself (SIGKILL: no exit handlers,
 * nothing flushed) at a chosen point, to prove that a run interrupted anywhere and started again
 * pays every holder once per month:
 *
 *   node pension-run-crash-child.js <databaseUrl> <dataDir> <month> <batch> <killAt> [region]
 *
 * Every statement the run sends and every commit it gets back is a step; the process dies right
 * after step `killAt` (0: never). A run that ends prints `steps <n>`.
 */
import { systemClock } from '../clock.js';
import { openStore } from '../store/open-store.js';
import type { Queryable, Store } from '../store/store.js';
import { runPensionMonth } from '../pension/monthly-run.js';

const [databaseUrl, dataDir, month, batch, killAt, region] = process.argv.slice(2);
if (!databaseUrl || !dataDir || !month || !batch || killAt === undefined) {
  process.stderr.write(
    'usage: pension-run-crash-child <databaseUrl> <dataDir> <month> <batch> <killAt> [region]\n',
  );
  process.exit(2);
}

let steps = 0;
const step = () => {
  if (++steps === Number(killAt)) process.kill(process.pid, 'SIGKILL');
};

const counted = (q: Queryable): Queryable => ({
  dialect: q.dialect,
  all: async (sql, params) => {
    const r = await q.all(sql, params);
    step();
    return r as never;
  },
  get: async (sql, params) => {
    const r = await q.get(sql, params);
    step();
    return r as never;
  },
  run: async (sql, params) => {
    const r = await q.run(sql, params);
    step();
    return r;
  },
});

const real = await openStore({ databaseUrl, dataDir });
const store: Store = {
  ...counted(real),
  transaction: async (fn) => {
    const r = await real.transaction((tx) => fn(counted(tx)));
    step();
    return r;
  },
  bulkTransaction: (fn) => real.bulkTransaction(fn),
  close: () => real.close(),
};
await runPensionMonth(store, systemClock, { month, batchSize: Number(batch), region });
await real.close();
process.stdout.write(`steps ${steps}\n`);
