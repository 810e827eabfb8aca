// Runs the benchmarks in bench/ (built by setup's `tsc -b`) and prints their reports. Each reports
// ratios against baselines measured in the same run; none of them passes or fails on timing.
//
//   npm run bench                          every benchmark with its default (smaller) sizes
//   npm run bench -- card-read             one benchmark
//   npm run bench -- lookup-scale --holders 10000000
//   npm run bench -- --list
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const entry = join(root, 'bench', 'dist', 'index.js');
if (!existsSync(entry)) {
  console.error('bench/dist/index.js is missing: run `npx tsc -b bench` (or `npm run bench`, which builds)');
  process.exit(1);
}
process.env.SSCARD_ROOT ??= root;
const { benchmarks } = await import(pathToFileURL(entry).href);

const [first, ...rest] = process.argv.slice(2);
if (first === '--list' || first === '-h' || first === '--help') {
  console.log('benchmarks:');
  for (const b of benchmarks) console.log(`  ${b.name.padEnd(14)} ${b.description}`);
  console.log('\nusage: npm run bench [-- NAME [--flag value ...]]   (flags are listed in bench/README.md)');
  process.exit(0);
}

let selected = benchmarks;
let args = [];
if (first !== undefined) {
  const match = benchmarks.find((b) => b.name === first);
  if (!match) {
    console.error(`no benchmark named "${first}"; there are: ${benchmarks.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  selected = [match];
  args = rest;
}

let failed = false;
for (const b of selected) {
  try {
    await b.run(args);
  } catch (e) {
    failed = true;
    console.error(`\n${b.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}
// Child processes and sockets are closed by each benchmark; exit anyway so a stray handle in a
// dependency cannot keep the report waiting.
process.exit(failed ? 1 : 0);
