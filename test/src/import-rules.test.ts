import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot, tempDir } from '@sscard/test-harness';

/**
 * The import-rule check (scripts/import-rules/) run on a small tree of two workspaces, card-core
 * and terminal-agent, laid out as the repository is: it passes on the tree as made, and fails,
 * naming the rule, once a file breaks a rule.
 */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await tempDir('sscard-import-rules-');
  const base: Record<string, string> = {
    'package.json': JSON.stringify({
      name: 'sscard',
      private: true,
      workspaces: ['card-core', 'terminal-agent'],
    }),
    'card-core/package.json': JSON.stringify({ name: '@sscard/card-core', main: 'src/index.ts' }),
    'card-core/src/index.ts': 'export const APDU_HEADER = 4;\n',
    'terminal-agent/package.json': JSON.stringify({
      name: '@sscard/terminal-agent',
      main: 'src/index.ts',
      dependencies: { '@sscard/card-core': '0.1.0' },
    }),
    'terminal-agent/src/index.ts':
      "import { APDU_HEADER } from '@sscard/card-core';\nimport { readerName } from './readers/reader.js';\nexport const header = [APDU_HEADER, readerName];\n",
    'terminal-agent/src/readers/reader.ts': "export const readerName = 'Virtual PCD 00 00';\n",
    'terminal-agent/src/apps/ssse.ts':
      "import { readerName } from '../readers/reader.js';\nexport const app = readerName;\n",
  };
  for (const [path, text] of Object.entries({ ...base, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(root, 'node_modules/@sscard'), { recursive: true });
  for (const ws of ['card-core', 'terminal-agent'])
    symlinkSync(join(root, ws), join(root, 'node_modules/@sscard', ws));
  return root;
}

function check(root: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts/import-rules/check.mjs')], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('import rules', () => {
  test('pass on a tree whose imports point down the layers', async () => {
    const result = check(await tree({}));
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /2 workspaces keep the layer order/);
  });

  // One tree with three violations, so that the check (two dependency-cruiser passes) runs once.
  test('fail on an upward import, on production code importing a test helper, and on a folder cycle', async () => {
    const result = check(
      await tree({
        'card-core/src/upward.ts':
          "import { header } from '@sscard/terminal-agent';\nexport const h = header;\n",
        'terminal-agent/src/testing/fake-reader.ts': "export const fake = 'Fake PCD';\n",
        'terminal-agent/src/readers/reader.ts':
          "import { fake } from '../testing/fake-reader.js';\nimport type { app } from '../apps/ssse.js';\nexport const readerName = fake;\nexport type App = typeof app;\n",
      }),
    );
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /layer-order: card-core\/src\/upward\.ts → terminal-agent\/src\/index\.ts/);
    assert.match(result.output, /no-test-code-in-production: terminal-agent\/src\/readers\/reader\.ts/);
    assert.match(result.output, /no-folder-cycles: terminal-agent\/src\/(apps|readers) →/);
  });
});
