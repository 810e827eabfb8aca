// Checks the import rules (rules.cjs, then folders.cjs) over the src/ of every workspace in the
// root package.json of the working directory, and exits non-zero on a violation that is not a
// listed exception, or on an exception that no longer happens (so the list only shrinks).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// The repository's own dependency-cruiser, also when the check runs on another tree (its test).
const depcruise = join(here, '../../node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/**
 * Violations that other changes in flight are removing. Each names the rule, the importing path
 * and the imported path (prefixes), and why it is still here.
 */
const EXCEPTIONS = [];

function cruise(config, dirs) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [depcruise, '--config', join(here, config), '--output-type', 'json', ...dirs],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.once('error', reject);
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out).summary.violations);
      } catch {
        reject(new Error(`dependency-cruiser (${config}) gave no result: ${err || out}`));
      }
    });
  });
}

function describe(v) {
  const ring = v.cycle?.map((step) => step.name ?? step).join(' → ');
  return `${v.rule.name}: ${v.from} → ${ring ? `${ring}` : v.to}`;
}

const workspaces = JSON.parse(readFileSync('package.json', 'utf8')).workspaces;
const dirs = workspaces.map((ws) => `${ws}/src`);
const found = (await Promise.all([cruise('rules.cjs', dirs), cruise('folders.cjs', dirs)])).flat();

const excused = (v) =>
  EXCEPTIONS.find((e) => e.rule === v.rule.name && v.from.startsWith(e.from) && v.to.startsWith(e.to));
const failures = found.filter((v) => !excused(v));
// An exception about code this tree does not have (the check's own test tree) is not stale.
const stale = EXCEPTIONS.filter((e) => existsSync(e.from) && !found.some((v) => excused(v) === e));

for (const v of found.filter(excused)) console.log(`import rules: known, ${excused(v).why}: ${describe(v)}`);
for (const v of failures) console.error(`import rules: ${describe(v)}`);
for (const e of stale)
  console.error(`import rules: exception no longer needed, remove it: ${e.rule} ${e.from} → ${e.to}`);
if (failures.length > 0 || stale.length > 0) {
  console.error(
    'import rules failed: see docs/architecture.md for the layer order and scripts/import-rules/',
  );
  process.exit(1);
}
console.log(`import rules: ${workspaces.length} workspaces keep the layer order`);
