import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { captureOutput, spawnTracked, terminate } from './processes.js';
import { tempDir } from './temp.js';
import { waitFor } from './wait.js';

export interface PtyPair {
  /** The device side (the emulated reader or PIN pad opens this). A stable path across `replug()`. */
  readonly a: string;
  /** The host side (the agent opens this). A stable path across `replug()`. */
  readonly b: string;
  /** Closes both ends, as a reader pulled out of its port; open handles see EOF/errors. */
  unplug(): Promise<void>;
  /** Creates a fresh pair at the same paths, as the reader plugged back in. */
  replug(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A pair of connected pseudo-terminals from socat (`pty,raw,echo=0` both ends), named by stable
 * symlinks so a test can unplug and replug the "cable" while the agent keeps the same path.
 */
export async function startPtyPair(): Promise<PtyPair> {
  const dir = await tempDir('sscard-pty-');
  const a = join(dir, 'device');
  const b = join(dir, 'host');
  let child: ChildProcess | undefined;

  async function plug(): Promise<void> {
    await rm(a, { force: true });
    await rm(b, { force: true });
    child = spawnTracked('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
    const started = child;
    const output = captureOutput(started);
    await waitFor('socat to create the pty pair', () => {
      if (started.exitCode !== null) throw new Error(`socat exited: ${output()}`);
      return existsSync(a) && existsSync(b);
    });
  }

  async function unplug(): Promise<void> {
    if (child) await terminate(child);
    child = undefined;
  }

  await plug();
  return {
    a,
    b,
    unplug,
    replug: async () => {
      await unplug();
      await plug();
    },
    close: async () => {
      await unplug();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
