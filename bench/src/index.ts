import * as cardRead from './card-read/main.js';

export interface Benchmark {
  name: string;
  description: string;
  run(argv: readonly string[]): Promise<void>;
}

/** Every benchmark, in the order `npm run bench` runs them. */
export const benchmarks: readonly Benchmark[] = [{ name: 'card-read', ...cardRead }];
