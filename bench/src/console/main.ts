import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '@sscard/card-service/clock';
import { StatisticsRollUp } from '@sscard/card-service/statistics/roll-up';
import { startTestService } from '@sscard/card-service/testing/api-fixture';
import { silentLogger } from '@sscard/log';
import { type Postgres, startPostgres, tempDir } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import { heading, ms, num, progress, say, table, verdict } from '../lib/report.js';
import { summarise } from '../lib/stats.js';
import { FIRST_DAY, LAST_DAY, writeRegistry } from './data.js';

export const description =
  'operator console statistics pages: p50/p99 per report, region level and period at --holders holders and --settlements settlements over a year';

/** The console's pages and the regions they are opened at: the country, then one of each level. */
const REPORTS = ['registry', 'identity-checks', 'settlements', 'pensions', 'alerts'] as const;
const LEVELS = [
  ['country', ''],
  ['province', '33'],
  ['city', '3301'],
  ['district', '330101'],
] as const;
const PERIODS = [
  [
    '30 days',
    new Date(Date.parse(`${LAST_DAY}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10),
    LAST_DAY,
  ],
  ['the year', FIRST_DAY, LAST_DAY],
] as const;

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    holders: { default: '200000' },
    settlements: { default: '100000' },
    pensioners: { default: '' },
    engine: { default: 'sqlite' },
    requests: { default: '50' },
  });
  const holders = positiveInt('holders', f.holders);
  const settlements = positiveInt('settlements', f.settlements);
  const pensioners = f.pensioners
    ? positiveInt('pensioners', f.pensioners)
    : Math.max(1, Math.floor(holders / 20));
  const requests = positiveInt('requests', f.requests);
  if (f.engine !== 'sqlite' && f.engine !== 'postgres') throw new Error('--engine: sqlite or postgres');

  heading('console');
  say(`machine: ${describeMachine()}`);
  const dataDir = await tempDir('sscard-bench-console-');
  let postgres: Postgres | undefined;
  let databaseUrl = join(dataDir, 'registry.db');
  if (f.engine === 'postgres') {
    // Durable, as a registry runs: fsync and synchronous commit on (the settings are printed).
    postgres = await startPostgres({ durable: true });
    databaseUrl = await postgres.createDatabase('console');
  }
  const clock = systemClock;
  const t = await startTestService(databaseUrl, dataDir, clock, undefined, {
    statistics: { rollUpIntervalSeconds: 0, backfillDays: 400 },
  });
  try {
    const store = t.service.store;
    const settings =
      store.dialect === 'postgres'
        ? await store.get<Record<string, string>>(
            `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
               current_setting('shared_buffers') AS shared_buffers`,
          )
        : {
            ...(await store.get<Record<string, string>>('PRAGMA synchronous')),
            ...(await store.get<Record<string, string>>('PRAGMA journal_mode')),
          };
    say(
      `${f.engine}: ${JSON.stringify(settings)}${store.dialect === 'sqlite' ? ' (synchronous 2 = FULL)' : ''}`,
    );
    let started = performance.now();
    await writeRegistry(store, { holders, settlements, pensioners });
    const writeSeconds = (performance.now() - started) / 1000;

    progress('rolling up the year, day by day, with today’s snapshots');
    const job = new StatisticsRollUp(
      store,
      clock,
      { intervalSeconds: 0, backfillDays: 400, snapshotMinutes: 60 },
      silentLogger,
    );
    started = performance.now();
    const rolled = await job.run({ from: FIRST_DAY, snapshot: true });
    const rollUpSeconds = (performance.now() - started) / 1000;

    const token = t.adminToken;
    const get = async (path: string): Promise<number> => {
      const t0 = performance.now();
      const answer = await t.call('GET', path, { token });
      const elapsed = performance.now() - t0;
      if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return elapsed;
    };
    const floor: number[] = [];
    const samples = new Map<string, number[]>();
    // Rounds over every page, so that background load on the shared machine falls on all alike.
    for (let round = 0; round < requests; round++) {
      if (round % 10 === 0) progress(`requests: round ${round + 1} of ${requests}`);
      floor.push(await get('/v1/operator'));
      for (const report of REPORTS) {
        for (const [level, region] of LEVELS) {
          for (const [period, from, to] of PERIODS) {
            const key = `${report}|${level}|${period}`;
            const query = `from=${from}&to=${to}${region ? `&region=${region}` : ''}`;
            const list = samples.get(key) ?? [];
            list.push(await get(`/v1/statistics/${report}?${query}`));
            samples.set(key, list);
          }
        }
      }
    }
    const base = summarise(floor);
    const rows: string[][] = [];
    let worst = 0;
    for (const [key, list] of samples) {
      const s = summarise(list);
      worst = Math.max(worst, s.p99);
      rows.push([...key.split('|'), ms(s.median), ms(s.p99)]);
    }
    say(
      `store: ${f.engine}; ${num(holders)} holders with a card each over 3,100 districts, ${num(settlements)} settlements and up to ${num(pensioners * 12)} pension payments over the 365 days to ${LAST_DAY}, ${num(Math.max(1, Math.floor(settlements / 1000)))} alerts; no identity checks (their audit chain is not generated here)`,
    );
    say(
      `written in ${num(writeSeconds, 1)} s; roll-up of ${rolled.days.length} days with today's snapshots in ${num(rollUpSeconds, 1)} s (${ms((rollUpSeconds * 1000) / rolled.days.length)} a day)`,
    );
    say(
      `${requests} requests per page, one at a time, over HTTPS with an operator token, client in the same process`,
    );
    say(`floor: GET /v1/operator (the token's own record) p50 ${ms(base.median)}, p99 ${ms(base.p99)}`);
    say(table(['report', 'region', 'period', 'p50', 'p99'], rows));
    say(
      `slowest page p99 ${ms(worst)}; ${verdict(worst, '<', 300, 0)} (ms, any page, any region, either period)`,
    );
  } finally {
    await t.service.close();
    await postgres?.stop();
  }
}
