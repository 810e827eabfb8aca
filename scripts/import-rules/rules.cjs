// The import rules of docs/architecture.md, as a dependency-cruiser configuration over every
// workspace's src/. scripts/import-rules/check.mjs runs it, and `npm test` runs that. Paths are
// relative to the repository root, which is the working directory of the check.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * The layer order: what each workspace's production code may import of ours. Arrows point down
 * this table only. `local-stack` (the private pcscd and pseudo-terminals the virtual devices plug
 * into) sits beside `serial-line`, used by the emulator and the test workspaces.
 */
const LAYERS = {
  'card-core': [],
  'serial-line': [],
  'local-stack': [],
  // The one logger (pino, masking from card-core), sqlite3's transaction wrapper and the durable
  // writing of key and certificate files: I/O that the processes above share, which card-core
  // must not do.
  log: ['card-core'],
  'sqlite-db': [],
  'secret-files': [],
  'registry-protocol': [],
  // The service refusals that the agent passes on to its clients are registry-protocol's types.
  'agent-protocol': ['registry-protocol'],
  'firmware-profiles': ['card-core'],
  // The emulated PIN pad's keys have the names the agent's clients send (agent-protocol).
  'card-emulator': ['card-core', 'firmware-profiles', 'serial-line', 'local-stack', 'log', 'agent-protocol'],
  'terminal-agent': [
    'card-core',
    'firmware-profiles',
    'serial-line',
    'log',
    'sqlite-db',
    'secret-files',
    'agent-protocol',
    'registry-protocol',
  ],
  'card-service': ['card-core', 'log', 'sqlite-db', 'secret-files', 'registry-protocol'],
  'kiosk-ui': ['agent-protocol'],
  // The console talks to card-service over HTTP only; its contract is registry-protocol's.
  'operator-console': ['registry-protocol'],
};

/** Workspaces that are tests through and through: they may import any workspace. */
const TEST_WORKSPACES = ['test/harness', 'test', 'bench'];

/** What a layer's own tests may use besides the layers below it: the real-stack harness. */
const TEST_SUPPORT = ['test/harness', 'local-stack'];

const regexQuote = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// `test` is also the start of `test/harness`, a workspace of its own.
const folder = (name) => (name === 'test' ? 'test/(?!harness/)' : `${regexQuote(name)}/`);
const folders = (names) => (names.length === 0 ? '$^' : `^(${names.map(folder).join('|')})`);

/** A test file, a test helper (each workspace's src/testing/), or a test workspace. */
const TEST_CODE = `\\.test\\.ts$|^[^/]+/src/testing/|${folders(TEST_WORKSPACES)}`;
const TEST_CODE_TARGET = `\\.test\\.(ts|js)$|^[^/]+/(src|dist)/testing/|${folders(TEST_WORKSPACES)}`;

function readPackage(dir) {
  return JSON.parse(readFileSync(join(process.cwd(), dir, 'package.json'), 'utf8'));
}

const root = readPackage('.');
const workspaces = root.workspaces;
const byPackageName = new Map(workspaces.map((ws) => [readPackage(ws).name, ws]));

function declared(pkg, fields) {
  return fields
    .flatMap((field) => Object.keys(pkg[field] ?? {}))
    .map((name) => byPackageName.get(name))
    .filter((ws) => ws !== undefined);
}

const others = (ws, allowed) => workspaces.filter((w) => w !== ws && !allowed.includes(w));

const rules = [];
for (const ws of workspaces) {
  if (TEST_WORKSPACES.includes(ws)) continue;
  const layer = LAYERS[ws];
  if (layer === undefined) {
    throw new Error(`workspace ${ws} has no place in the layer order (scripts/import-rules/rules.cjs)`);
  }
  const from = { path: `^${regexQuote(ws)}/`, pathNot: TEST_CODE };
  const fromTests = { path: `^${regexQuote(ws)}/(src/testing/|.*\\.test\\.ts$)` };
  rules.push(
    {
      name: 'layer-order',
      comment: `${ws} may import only ${layer.join(', ') || 'nothing of ours'} (docs/architecture.md)`,
      severity: 'error',
      from,
      to: { path: folders(others(ws, layer)) },
    },
    {
      name: 'layer-order-in-tests',
      comment: `${ws}'s tests may import the layers below it and the real-stack harness only`,
      severity: 'error',
      from: fromTests,
      to: { path: folders(others(ws, [...layer, ...TEST_SUPPORT])) },
    },
  );
  const pkg = readPackage(ws);
  const runtime = declared(pkg, ['dependencies', 'peerDependencies']);
  const all = declared(pkg, ['dependencies', 'peerDependencies', 'devDependencies']);
  rules.push(
    {
      name: 'undeclared-workspace',
      comment: `${ws}'s production code imports a workspace its package.json does not list in dependencies`,
      severity: 'error',
      from,
      to: { path: folders(others(ws, runtime)) },
    },
    {
      name: 'undeclared-workspace',
      comment: `${ws}'s tests import a workspace its package.json does not list`,
      severity: 'error',
      from: fromTests,
      to: { path: folders(others(ws, all)) },
    },
  );
}

rules.push(
  {
    name: 'no-test-code-in-production',
    comment:
      'production code never imports the harness, a test workspace, a test or a test helper (src/testing/)',
    severity: 'error',
    from: { pathNot: TEST_CODE },
    to: { path: TEST_CODE_TARGET },
  },
  {
    name: 'no-dev-dependency-in-production',
    comment: 'production code imports only what its package.json lists in dependencies',
    severity: 'error',
    from: { pathNot: TEST_CODE },
    to: { dependencyTypes: ['npm-dev'] },
  },
  {
    name: 'undeclared-package',
    comment: "an npm package the importing workspace's package.json does not list",
    severity: 'error',
    from: {},
    to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
  },
  {
    name: 'no-circular',
    comment: 'modules that import each other, directly or through others',
    severity: 'error',
    from: {},
    to: { circular: true },
  },
  {
    name: 'not-to-unresolvable',
    comment: 'an import that resolves to no file',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
);

const options = {
  tsPreCompilationDeps: true,
  // Workspaces are reached through node_modules symlinks into their dist/; their sources are
  // cruised on their own, so neither is followed.
  doNotFollow: { path: ['node_modules', '/dist/'] },
  enhancedResolveOptions: {
    exportsFields: ['exports'],
    conditionNames: ['types', 'import', 'require', 'node', 'default'],
    extensions: ['.ts', '.tsx', '.d.ts', '.js', '.cts', '.cjs'],
  },
};

module.exports = { forbidden: rules, options };
