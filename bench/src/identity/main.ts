import { type Postgres, startPostgres } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import { heading, ms, num, progress, say, table, verdict, x } from '../lib/report.js';
import { ratio, summarise } from '../lib/stats.js';
import { closedLoop, fetchOnce, openLoop } from './load.js';
import { type Engine, type PreparedRegistry, prepareRegistry } from './registry.js';
import { type RunningTarget, startBareTarget, startServiceTarget } from './targets.js';

/** One server's closed-loop rounds at one level of requests in flight. */
interface Level {
  concurrency: number;
  rates: number[];
  latencies: number[];
  errors: number;
}

const meanRate = (l: Level): number => l.rates.reduce((s, v) => s + v, 0) / l.rates.length;

export const description =
  'identity checks per second over mutual TLS on sqlite3 and PostgreSQL, against a bare node:https server; p99 at half the peak rate';

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    holders: { default: '100000' },
    cards: { default: '2000' },
    concurrency: { default: '16,32,64' },
    duration: { default: '6' },
    warmup: { default: '2' },
    rounds: { default: '2' },
    'open-duration': { default: '10' },
    engines: { default: 'sqlite,postgres' },
    'checkpoint-every': { default: '1000' },
    // yes: PostgreSQL with fsync, synchronous_commit and full_page_writes on, as in production.
    'durable-postgres': { default: 'no' },
  });
  if (f['durable-postgres'] !== 'yes' && f['durable-postgres'] !== 'no') {
    throw new Error('--durable-postgres: yes or no');
  }
  const durable = f['durable-postgres'] === 'yes';
  const checkpointEvery = positiveInt('checkpoint-every', f['checkpoint-every']);
  const holders = positiveInt('holders', f.holders);
  const cards = positiveInt('cards', f.cards);
  const levels = f.concurrency.split(',').map((c) => positiveInt('concurrency', c.trim()));
  const durationMs = positiveInt('duration', f.duration) * 1000;
  const warmupMs = positiveInt('warmup', f.warmup) * 1000;
  const rounds = positiveInt('rounds', f.rounds);
  const openMs = positiveInt('open-duration', f['open-duration']) * 1000;
  const engines = f.engines.split(',').map((e) => e.trim()) as Engine[];
  if (engines.length === 0 || engines.some((e) => e !== 'sqlite' && e !== 'postgres')) {
    throw new Error('--engines: sqlite, postgres or both (comma-separated)');
  }

  heading('identity');
  say(`machine: ${describeMachine()}`);
  let postgres: Postgres | undefined;
  const registries: PreparedRegistry[] = [];
  const running: RunningTarget[] = [];
  try {
    for (const engine of engines) {
      if (engine === 'postgres') {
        postgres = await startPostgres({ durable });
        say(
          `postgres: ${durable ? 'durable (fsync, synchronous_commit, full_page_writes on)' : 'fsync off'}`,
        );
      }
      registries.push(
        await prepareRegistry({
          engine,
          holders,
          cards,
          checkpointEvery,
          ...(postgres ? { databaseUrl: postgres.url } : {}),
        }),
      );
    }
    const services: RunningTarget[] = [];
    for (const registry of registries) {
      const t = await startServiceTarget(`card-service, ${registry.engine}`, registry);
      running.push(t);
      services.push(t);
    }
    // The baseline answers with a real answer of the service: same bytes on the wire.
    const answer = await fetchOnce(services[0]!.target);
    if (answer.status !== 200 || !answer.body.includes('"valid":true')) {
      throw new Error(`the service refused the first identity check: ${answer.status} ${answer.body}`);
    }
    const bare = await startBareTarget('bare node:https', registries[0]!, answer.body);
    running.push(bare);

    // Peak: closed loops at each level of requests in flight, interleaved rounds so background load
    // on the machine hits every server alike. A server's peak is its best level: too few requests
    // in flight leave a server that waits on its store idle part of the time, and too many only
    // queue, so one fixed level would measure the client's choice instead of the server.
    const measured = new Map<string, Level[]>();
    for (const t of running) measured.set(t.name, []);
    for (const concurrency of levels) {
      for (const t of running)
        measured.get(t.name)!.push({ concurrency, rates: [], latencies: [], errors: 0 });
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < running.length; i++) {
          const t = running[(r + i) % running.length]!;
          progress(`closed loop, ${concurrency} in flight, round ${r + 1} of ${rounds}: ${t.name}`);
          const result = await closedLoop(t.target, {
            concurrency,
            warmupMs,
            durationMs,
            maxRequests: 2_000_000,
          });
          const level = measured.get(t.name)!.at(-1)!;
          level.rates.push(result.rate);
          // A loop, not a spread: a long round's samples exceed the arguments a call may take.
          for (const l of result.latencies) level.latencies.push(l);
          level.errors += result.errors;
        }
      }
    }
    const peakOf = (name: string): Level =>
      measured.get(name)!.reduce((best, l) => (meanRate(l) > meanRate(best) ? l : best));
    const peakRate = (name: string) => meanRate(peakOf(name));
    const bareRate = peakRate(bare.name);

    // Half of each service's own peak, open loop.
    const open = new Map<string, { rate: number; result: Awaited<ReturnType<typeof openLoop>> }>();
    for (const t of services) {
      const rate = Math.max(1, Math.floor(peakRate(t.name) / 2));
      progress(`open loop at ${rate}/s: ${t.name}`);
      open.set(t.name, {
        rate,
        result: await openLoop(t.target, { rate, warmupMs, durationMs: openMs, maxOutstanding: 256 }),
      });
    }

    say(
      `registry: ${num(holders)} holders with medical and pension coverage (CSV bulk import), ${num(cards)} active cards; identity cache off; one hospital terminal's client certificate`,
    );
    say(
      `client: keep-alive node:https, ${levels.join(' / ')} requests in flight, 127.0.0.1; at each, ${rounds} interleaved rounds of ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up`,
    );
    for (const r of registries) {
      say(
        `import (${r.engine}): ${num(r.import.rows)} rows in ${r.import.seconds.toFixed(1)} s = ${num(r.import.rowsPerSecond)} rows/s`,
      );
    }
    say();
    say('closed loop: checks/s at each level of requests in flight (ratio to bare at the same level)');
    say(
      table(
        ['server', ...levels.map((c) => `${c} in flight`)],
        running.map((t) => [
          t.name,
          ...measured.get(t.name)!.map((l, i) => {
            const rate = meanRate(l);
            const atBare = meanRate(measured.get(bare.name)![i]!);
            return t === bare ? num(rate) : `${num(rate)} (${x(ratio(rate, atBare))})`;
          }),
        ]),
      ),
    );
    say();
    say('peak (each server at its best level)');
    say(
      table(
        ['server', 'checks/s', 'in flight', 'p50', 'p99', 'errors', 'ratio to bare', ''],
        running.map((t) => {
          const p = peakOf(t.name);
          const s = summarise(p.latencies);
          const rate = meanRate(p);
          const isBare = t === bare;
          return [
            t.name,
            num(rate),
            String(p.concurrency),
            ms(s.median),
            ms(s.p99),
            String(p.errors),
            isBare ? '1.00' : x(ratio(rate, bareRate)),
            isBare ? '(baseline)' : verdict(ratio(rate, bareRate), '>=', 0.5),
          ];
        }),
      ),
    );
    say();
    say(
      `at half of each service's peak (open loop, fixed rate, latency from each request's due time, ${openMs / 1000} s)`,
    );
    say(
      table(
        ['server', 'offered/s', 'done/s', 'p50', 'p99', 'p99.9', 'max', 'errors', 'dropped', ''],
        services.map((t) => {
          const o = open.get(t.name)!;
          const s = summarise(o.result.latencies);
          return [
            t.name,
            num(o.rate),
            num(o.result.rate),
            ms(s.median),
            ms(s.p99),
            // The tail beyond p99 shows whether a p99 near the target was one stall or many.
            ms(s.p999),
            ms(s.max),
            String(o.result.errors),
            String(o.result.dropped),
            `p99 ${verdict(s.p99, '<=', 20, 0).replace('target ≤ 20', 'target ≤ 20 ms')}`,
          ];
        }),
      ),
    );
  } finally {
    for (const t of running) await t.stop();
    for (const r of registries) await r.cleanup();
    await postgres?.stop();
  }
}
