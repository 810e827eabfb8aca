import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'setup.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('sscard repository root not found above local-stack');
    dir = parent;
  }
}

/** The repository root (where scripts/setup.sh lives). */
export const repoRoot: string = process.env.SSCARD_ROOT ?? findRoot();
