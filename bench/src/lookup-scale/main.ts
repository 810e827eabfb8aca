import { type Postgres, startPostgres } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import { heading, ms, num, progress, say, table, verdict, x } from '../lib/report.js';
import { ratio, summarise } from '../lib/stats.js';
import { MAX_HOLDERS } from '../identity/holders-csv.js';
import { openLoop } from '../identity/load.js';
import { type Engine, type PreparedRegistry, prepareRegistry } from '../identity/registry.js';
import { type RunningTarget, startServiceTarget } from '../identity/targets.js';

export const description =
  'identity-check p99 with 100 thousand and with --holders (default 1 million) holders loaded by the CSV bulk import, and the import rate';

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    holders: { default: '1000000' },
    small: { default: '100000' },
    cards: { default: '2000' },
    engine: { default: 'sqlite' },
    rate: { default: '100' },
    duration: { default: '30' },
    rounds: { default: '3' },
    warmup: { default: '2' },
  });
  const large = positiveInt('holders', f.holders);
  const small = positiveInt('small', f.small);
  const cards = positiveInt('cards', f.cards);
  const rate = positiveInt('rate', f.rate);
  const durationMs = positiveInt('duration', f.duration) * 1000;
  const rounds = positiveInt('rounds', f.rounds);
  const warmupMs = positiveInt('warmup', f.warmup) * 1000;
  const engine = f.engine as Engine;
  if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('--engine: sqlite or postgres');
  if (large > MAX_HOLDERS) throw new Error(`--holders: at most ${MAX_HOLDERS}`);
  if (cards > small) throw new Error('--cards must not exceed --small');

  heading('lookup-scale');
  say(`machine: ${describeMachine()}`);
  let postgres: Postgres | undefined;
  const registries: PreparedRegistry[] = [];
  const running: RunningTarget[] = [];
  try {
    for (const holders of [small, large]) {
      let databaseUrl: string | undefined;
      if (engine === 'postgres') {
        postgres ??= await startPostgres();
        databaseUrl = await postgres.createDatabase(`scale_${holders}`);
      }
      registries.push(
        await prepareRegistry({ engine, holders, cards, ...(databaseUrl ? { databaseUrl } : {}) }),
      );
    }
    for (const r of registries) running.push(await startServiceTarget(`${num(r.holders)} holders`, r));

    // The same fixed rate against both registries, in alternating slices, so that any drift in
    // background load on the machine falls on both sizes alike.
    const latencies = running.map(() => [] as number[]);
    const problems = running.map(() => ({ errors: 0, dropped: 0 }));
    const slice = Math.max(1000, Math.floor(durationMs / rounds));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < running.length; i++) {
        const k = (round + i) % running.length;
        progress(`open loop at ${rate}/s, round ${round + 1} of ${rounds}: ${running[k]!.name}`);
        const result = await openLoop(running[k]!.target, {
          rate,
          warmupMs,
          durationMs: slice,
          maxOutstanding: 256,
        });
        latencies[k]!.push(...result.latencies);
        problems[k]!.errors += result.errors;
        problems[k]!.dropped += result.dropped;
      }
    }
    const stats = latencies.map((l) => summarise(l));

    say(
      `store: ${engine}; holders with medical and pension coverage loaded by \`sscard-service import\`; ${num(cards)} active cards per registry, spread evenly over the holders; identity cache off`,
    );
    say(
      `load: open loop at ${rate} checks/s, ${rounds} alternating slices of ${slice / 1000} s per registry after ${warmupMs / 1000} s warm-up each, one hospital terminal over mutual TLS`,
    );
    say();
    say(
      table(
        ['registry', 'import', 'import rows/s', 'checks', 'p50', 'p90', 'p99', 'errors', 'dropped'],
        registries.map((r, i) => [
          `${num(r.holders)} holders`,
          `${r.import.seconds.toFixed(1)} s`,
          num(r.import.rowsPerSecond),
          num(stats[i]!.count),
          ms(stats[i]!.median),
          ms(stats[i]!.p90),
          ms(stats[i]!.p99),
          String(problems[i]!.errors),
          String(problems[i]!.dropped),
        ]),
      ),
    );
    const p99Ratio = ratio(stats[1]!.p99, stats[0]!.p99);
    say(`  p99 ${num(large)} / ${num(small)} holders: ${x(p99Ratio)} — ${verdict(p99Ratio, '<=', 1.5)}`);
    say(`  p50 ratio: ${x(ratio(stats[1]!.median, stats[0]!.median))}`);
  } finally {
    for (const t of running) await t.stop();
    for (const r of registries) await r.cleanup();
    await postgres?.stop();
  }
}
