import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SscardError } from '@sscard/card-core';

export interface SocatPty {
  /** Device side: the emulated reader opens this. */
  device: string;
  /** Host side: give this path to the terminal agent. */
  host: string;
  close(): void;
}

/**
 * A pseudo-terminal pair from `socat pty,raw,echo=0 pty,raw,echo=0`, named by symlinks in a
 * private folder, standing in for the cable between a serial reader and the terminal's port.
 */
export async function startSocatPty(name = 'reader'): Promise<SocatPty> {
  const dir = mkdtempSync(join(tmpdir(), `sscard-${name}-`));
  const device = join(dir, 'device');
  const host = join(dir, 'host');
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${host}`], {
      stdio: 'ignore',
    });
  } catch (e) {
    throw new SscardError('SOCAT_START', 'cannot start socat (package socat)', {}, { cause: e });
  }
  let failure: Error | undefined;
  child.once('error', (e) => {
    failure = e;
  });
  for (let i = 0; i < 200 && !(existsSync(device) && existsSync(host)); i++) {
    if (failure || child.exitCode !== null) {
      throw new SscardError(
        'SOCAT_START',
        `socat did not start: ${failure?.message ?? `exit ${child.exitCode}`}`,
      );
    }
    await sleep(10);
  }
  if (!existsSync(host)) {
    child.kill();
    throw new SscardError('SOCAT_START', 'socat did not create the pty pair in time');
  }
  return {
    device,
    host,
    close: () => {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
