// Runs the whole suite: lint, the import rules, then every workspace's compiled tests in one
// node:test run, so there is one summary. Test files are `*.test.js` under each workspace's dist/; nothing else is run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const workspaces = only.length > 0 ? only : pkg.workspaces;

const lint = spawnSync('npx', ['--no-install', 'biome', 'check', ...(only.length > 0 ? only : ['.'])], {
  cwd: root,
  stdio: 'inherit',
});
if (lint.status !== 0) {
  console.error('lint failed: run `npm run format` and fix what biome reports');
  process.exit(lint.status ?? 1);
}

// The layer order of docs/architecture.md, over the whole tree: a change in one workspace can
// break it for another.
const rules = spawnSync(process.execPath, [join(root, 'scripts/import-rules/check.mjs')], {
  cwd: root,
  stdio: 'inherit',
});
if (rules.status !== 0) process.exit(rules.status ?? 1);

// A compiled test whose source is gone (moved or deleted since the last build) is not run: tsc -b
// leaves its output behind, and running it would test code that no longer exists.
const hasSource = (ws, file) => {
  const rel = file.slice(join(root, ws, 'dist').length).replace(/\.js$/, '');
  return existsSync(join(root, ws, 'src', `${rel}.ts`)) || existsSync(join(root, ws, 'src', `${rel}.tsx`));
};
const compiled = workspaces.flatMap((ws) => findTests(join(root, ws, 'dist')).map((file) => ({ ws, file })));
const files = [];
const stale = [];
for (const { ws, file } of compiled) (hasSource(ws, file) ? files : stale).push(file);
files.sort();
if (stale.length > 0) {
  console.error(`not run, their sources are gone (\`npm run clean\` removes them):\n  ${stale.join('\n  ')}`);
}
if (files.length === 0) {
  console.error('no test files found; did the build run?');
  process.exit(1);
}
const concurrency = process.env.SSCARD_TEST_CONCURRENCY ?? '4';
const run = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, SSCARD_ROOT: root } },
);
process.exit(run.status ?? 1);
