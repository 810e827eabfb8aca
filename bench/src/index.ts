import * as cardRead from './card-read/main.js';
import * as consolePages from './console/main.js';
import * as identity from './identity/main.js';
import * as kioskRender from './kiosk-render/main.js';
import * as lookupScale from './lookup-scale/main.js';
import * as pensionRun from './pension-run/main.js';
import * as settlement from './settlement/main.js';
import * as whatIf from './what-if/main.js';

export interface Benchmark {
  name: string;
  description: string;
  run(argv: readonly string[]): Promise<void>;
}

/** Every benchmark, in the order `npm run bench` runs them. */
export const benchmarks: readonly Benchmark[] = [
  { name: 'card-read', ...cardRead },
  { name: 'identity', ...identity },
  { name: 'kiosk-render', ...kioskRender },
  { name: 'lookup-scale', ...lookupScale },
  { name: 'settlement', ...settlement },
  { name: 'pension-run', ...pensionRun },
  { name: 'console', ...consolePages },
  { name: 'what-if', ...whatIf },
];
