import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Directories made by this process, removed when it exits. */
const made = new Set<string>();
let removeOnExit = false;

function remember(dir: string): string {
  made.add(dir);
  if (!removeOnExit) {
    removeOnExit = true;
    // Each test file runs in a process of its own (as do `npm start` and each benchmark), so its
    // directories go when it ends, passed or failed, instead of piling up in the temp directory
    // run after run. Only a process killed outright leaves them behind.
    process.once('exit', removeMadeDirs);
  }
  return dir;
}

function removeMadeDirs(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A file still held open by a child that outlived the test: nothing more to do at exit.
    }
  }
  made.clear();
}

/** A fresh directory under the system temp directory, removed when this process exits. */
export async function tempDir(prefix = 'sscard-'): Promise<string> {
  return remember(await mkdtemp(join(tmpdir(), prefix)));
}

/** `tempDir` for synchronous callers. */
export function tempDirSync(prefix = 'sscard-'): string {
  return remember(mkdtempSync(join(tmpdir(), prefix)));
}
