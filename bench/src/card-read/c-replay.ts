import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@sscard/test-harness';
import { runChild } from '../lib/children.js';
import type { ReplayStep } from './bare-replay.js';

export const PCSC_READ = join(repoRoot, '.sscard/bin/pcsc-read');

/**
 * The C baseline (bench/native/pcsc-read.c): the same recorded sequence through libpcsclite
 * directly. It prints microseconds per iteration; the first `warmup` lines are dropped.
 */
export async function cReplay(
  env: NodeJS.ProcessEnv,
  readers: readonly [string, string],
  steps: readonly ReplayStep[],
  warmup: number,
  iterations: number,
): Promise<number[]> {
  if (!existsSync(PCSC_READ)) throw new Error(`${PCSC_READ} is missing: run scripts/setup.sh`);
  const apdus = steps.map((s) => (s.slot === 1 ? `2:${s.command}` : s.command));
  const { stdout } = await runChild(
    PCSC_READ,
    ['-2', readers[1], '-d', 'unpower', readers[0], String(warmup + iterations), ...apdus],
    { env },
  );
  const micros = stdout
    .trim()
    .split('\n')
    .map((l) => Number(l));
  if (micros.length !== warmup + iterations || micros.some((v) => !Number.isFinite(v))) {
    throw new Error(`pcsc-read printed something unexpected: ${stdout.slice(0, 200)}`);
  }
  return micros.slice(warmup).map((us) => us / 1000);
}
