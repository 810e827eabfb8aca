import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../clock.js';
import type { Dialect } from '../store/store.js';
import { forEachEngine } from './engines-fixture.js';
import { OPERATOR, addPensioners, assertPaidOnce } from './pension-fixture.js';
import { setEntitlementStatus } from '../pension/entitlements.js';
import { monthsBetween } from '../pension/months.js';
import { seededRandom } from '../seeded-random.js';

const CHILD = fileURLToPath(new URL('./pension-run-crash-child.js', import.meta.url));

/** Runs the month in a child that dies after step `killAt`; resolves with its signal and steps. */
function runChild(
  args: string[],
): Promise<{ signal: NodeJS.Signals | null; steps: number; code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('exit', (code, signal) =>
      resolve({ signal, code, err, steps: Number(/steps (\d+)/.exec(out)?.[1] ?? 0) }),
    );
  });
}

const SEEDS = 16;
const KILLS_PER_SEED = 2;

/**
 * The monthly run killed at seeded points and run again, on one engine. About 70 runs in child
 * processes per engine: each engine has a test file of its own (monthly-run-crash-sqlite,
 * -postgres), so that each has the runner's whole time budget and the two run side by side.
 */
export function monthlyRunCrashSuite(only: Dialect): void {
  forEachEngine(
    'the monthly pension run killed at random points',
    ({ freshUrl, dataDir, engine }) => {
      test(`${SEEDS} months, each run killed ${KILLS_PER_SEED} times at seeded points and run again: every holder paid once per month`, async () => {
        const url = await freshUrl();
        const { openStore } = await import('../store/open-store.js');
        const store = await openStore({ databaseUrl: url, dataDir: dataDir() });
        try {
          const months = monthsBetween('2025-01', '2026-12').slice(24 - SEEDS);
          // Some start before the first run (a backlog), some later (not yet due), in two regions.
          const pensioners = await addPensioners(store, systemClock, 41, {
            regions: ['330300', '330100'],
            firstMonths: ['2024-11', months[0]!, months[3]!, months[9]!],
          });
          // About the steps of a whole run of two regions (a select, five writes, the audit entry and
          // the commit per batch); the second kill falls into what the first left.
          const fullSteps = 100;
          let killed = 0;
          for (const [seed, month] of months.entries()) {
            const rand = seededRandom(seed * 7919 + (engine === 'postgres' ? 1 : 0));
            // A few holders suspended for some months (their months withheld, paid on resumption).
            const who = pensioners[(seed * 5) % pensioners.length]!.personNo;
            if (seed % 4 === 1) {
              await setEntitlementStatus(
                store,
                systemClock,
                who,
                { status: 'suspended', reason: 'test' },
                OPERATOR,
              ).catch(() => undefined);
            }
            if (seed % 4 === 3) {
              const back = pensioners[((seed - 2) * 5) % pensioners.length]!.personNo;
              await setEntitlementStatus(
                store,
                systemClock,
                back,
                { status: 'active', reason: 'test' },
                OPERATOR,
              ).catch(() => undefined);
            }
            const region = seed % 3 === 0 ? '330300' : undefined;
            const args = (killAt: number) => [
              url,
              dataDir(),
              month,
              String(3 + (seed % 5)),
              String(killAt),
              ...(region ? [region] : []),
            ];
            for (let k = 0; k < KILLS_PER_SEED; k++) {
              const at = 1 + Math.floor((rand() * fullSteps) / (k + 1));
              const r = await runChild(args(at));
              if (r.signal === 'SIGKILL') killed++;
              else assert.equal(r.code, 0, r.err);
            }
            const finished = await runChild(args(0));
            assert.equal(finished.code, 0, finished.err);
            if (region) {
              const other = await runChild([url, dataDir(), month, '4', '0', '330100']);
              assert.equal(other.code, 0, other.err);
            }
            await assertPaidOnce(store, month);
            // A whole run again pays nothing more.
            const before = await store.get<{ n: number | string }>(
              'SELECT COUNT(*) AS n FROM pension_payments',
            );
            const again = await runChild(args(0));
            assert.equal(again.code, 0, again.err);
            const after = await store.get<{ n: number | string }>(
              'SELECT COUNT(*) AS n FROM pension_payments',
            );
            assert.equal(Number(after?.n), Number(before?.n));
          }
          assert.ok(killed >= SEEDS, `most runs were killed before they ended (${killed})`);
          const suspended = await store.get<{ n: number | string }>(
            'SELECT COUNT(*) AS n FROM pension_payments WHERE run_month > month AND month >= ?',
            [months[0]!],
          );
          assert.ok(Number(suspended?.n) > 0, 'withheld months were paid on resumption');
        } finally {
          await store.close();
        }
      });
    },
    [only],
  );
}
