import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildOpenapi, openapiPath } from './openapi.js';
import { ROUTES } from './routes.js';

/**
 * The document integrators generate clients from: it passes Redocly's recommended rules without
 * an error or a warning, and the TypeScript client openapi-typescript makes from it type-checks
 * and types the bodies (a wrong body fails to compile).
 */

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The command-line entry of an installed package, as its package.json names it. */
function binOf(pkg: string, name: string): string {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin } = require(manifest) as { bin: string | Record<string, string> };
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin[name]!);
}

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[];
}

async function lint(dir: string, document: unknown): Promise<LintReport> {
  const file = join(dir, `lint-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(document, null, 2));
  // Run in the temporary directory so that no Redocly configuration file of the tree applies.
  const lint = run(
    process.execPath,
    [binOf('@redocly/cli', 'redocly'), 'lint', file, '--extends=recommended', '--format=json'],
    {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  // The linter exits 1 on errors; its report is on standard output either way.
  const { stdout } = await lint.catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(stdout) as LintReport;
}

const USES_THE_CLIENT = `import type { components, operations, paths } from './api.js';

type IdentityCheck = paths['/v1/identity/check']['post'];
type CheckRequest = NonNullable<IdentityCheck['requestBody']>['content']['application/json'];
type CheckVerdict = IdentityCheck['responses'][200]['content']['application/json'];

export const request: CheckRequest = {
  cardIdCode: '320200D156000005AD932A48FB4966AB',
  cardNumber: 'X00000019',
  ssn: '11111119810101111X',
  name: '张三',
};
export const verdict: CheckVerdict = {
  valid: false,
  reason: 'CARD_TEMPORARILY_LOST',
  checkedAt: '2026-01-01T08:00:00+08:00',
  cardPresent: false,
};
// @ts-expect-error a check without the card number is not a check request
export const incomplete: CheckRequest = { cardIdCode: '320200D156000005AD932A48FB4966AB', ssn: '', name: '' };

export const refusal: components['schemas']['Problem'] = { code: 'RATE_LIMITED', message: 'too many requests', details: {} };
export const status: components['schemas']['Card']['status'] = 'temporarily_lost';
// @ts-expect-error a card has no such state
export const unknownStatus: components['schemas']['Card']['status'] = 'misplaced';
export type AuditPage = operations['listAudit']['parameters']['query'];
export const page: AuditPage = { after: 10, limit: 100 };
`;

describe('the OpenAPI document', () => {
  const document = buildOpenapi(ROUTES, { version: '1.0.0' });
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-openapi-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('lists every route once, each with its own operationId', () => {
    const paths = document.paths as Record<string, Record<string, { operationId: string }>>;
    const listed = Object.entries(paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method} ${path} ${op.operationId}`),
    );
    const expected = ROUTES.map((r) => `${r.method} ${openapiPath(r.path)} ${r.operationId}`);
    assert.deepEqual(listed.sort(), expected.sort());
    assert.equal(new Set(ROUTES.map((r) => r.operationId)).size, ROUTES.length);
  });

  test("passes Redocly's recommended rules without an error or a warning", async () => {
    const report = await lint(dir, document);
    assert.deepEqual(
      report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`),
      [],
    );
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 });
  });

  test('the linter does find a defect: an operation without an operationId', async () => {
    const broken = structuredClone(document) as unknown as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    delete broken.paths['/v1/identity/check']!.post!.operationId;
    const report = await lint(dir, broken);
    assert.ok(
      report.problems.some((p) => p.ruleId === 'operation-operationId'),
      JSON.stringify(report.problems),
    );
  });

  test('a TypeScript client generated from it with openapi-typescript type-checks and types the bodies', async () => {
    const spec = join(dir, 'openapi.json');
    await writeFile(spec, JSON.stringify(document, null, 2));
    await run(
      process.execPath,
      [binOf('openapi-typescript', 'openapi-typescript'), spec, '-o', join(dir, 'api.ts')],
      {
        cwd: dir,
      },
    );
    assert.match(await readFile(join(dir, 'api.ts'), 'utf8'), /export interface paths/);
    await writeFile(join(dir, 'client.ts'), USES_THE_CLIENT);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          noEmit: true,
          strict: true,
          noUncheckedIndexedAccess: true,
          target: 'ES2022',
          lib: ['ES2022'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: [],
        },
        files: ['client.ts'],
      }),
    );
    const tsc = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir], { cwd: dir });
    const { stdout } = await tsc.catch((e: { stdout?: string }) => {
      assert.fail(`the generated client does not type-check:\n${e.stdout ?? ''}`);
    });
    assert.equal(stdout, '');
  });
});
