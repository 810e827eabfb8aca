import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@sscard/test-harness';
import { runChild } from '../lib/children.js';
import type { ReplayCall, ReplayPlan } from './bare-replay.js';

export const PCSC_READ = join(repoRoot, '.sscard/bin/pcsc-read');

function argOf(c: ReplayCall): string {
  if (c.op === 'connect') return `c${c.slot}`;
  if (c.op === 'transmit') return `t${c.slot}:${c.command}`;
  return `d${c.slot}:${c.disposition}`;
}

/**
 * The C baseline (bench/native/pcsc-read.c): the same traced PC/SC calls through libpcsclite
 * directly. Its first read is the agent's first read, untimed; it prints microseconds per steady
 * read, of which the first `warmup` are dropped.
 */
export async function cReplay(
  env: NodeJS.ProcessEnv,
  readers: readonly [string, string],
  plan: ReplayPlan,
  warmup: number,
  iterations: number,
): Promise<number[]> {
  if (!existsSync(PCSC_READ)) throw new Error(`${PCSC_READ} is missing: run scripts/setup.sh`);
  const { stdout } = await runChild(
    PCSC_READ,
    [
      readers[0],
      readers[1],
      String(warmup + iterations),
      ...plan.first.map(argOf),
      '--',
      ...plan.steady.map(argOf),
    ],
    { env },
  );
  const micros = stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => Number(l));
  if (micros.length !== warmup + iterations || micros.some((v) => !Number.isFinite(v))) {
    throw new Error(`pcsc-read printed something unexpected: ${stdout.slice(0, 200)}`);
  }
  return micros.slice(warmup).map((us) => us / 1000);
}
