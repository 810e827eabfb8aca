import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureOutput, spawnTracked, terminate, waitFor } from '@sscard/test-harness';
import { hsmPaths } from '../hsm/hsm-paths.js';
import { createMasterKeyFile, readMasterKey } from '../hsm/key-file.js';
import { makeServiceKeyFile } from '../hsm/make-keys.js';

/**
 * A real HSM process for tests: its own directory (0700), a master key file kept apart from the
 * key file, the sealed key file made by `makeServiceKeyFile` from the given issuer keyset, and the
 * `sscard-hsm` process serving the socket. It can be stopped, killed, paused (SIGSTOP) and started
 * again, to test what the service answers meanwhile.
 */
export interface TestHsm {
  dir: string;
  socketPath: string;
  masterKeyPath: string;
  env: Record<string, string>;
  process(): ChildProcess;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: the process lives, holds its socket and answers nothing. */
  pause(): void;
  resume(): void;
}

const HSM_MAIN = fileURLToPath(new URL('../hsm/hsm-main.js', import.meta.url));

export async function startTestHsm(root: string, issuerKeyset: unknown): Promise<TestHsm> {
  const dir = join(root, 'hsm');
  const masterKeyPath = join(root, 'hsm-master', 'master-key');
  await createMasterKeyFile(masterKeyPath);
  const issuerPath = join(root, 'hsm-master', 'issuer-for-hsm.json');
  await mkdir(join(root, 'hsm-master'), { recursive: true, mode: 0o700 });
  await writeFile(issuerPath, JSON.stringify(issuerKeyset), { mode: 0o600 });
  await makeServiceKeyFile({
    issuerKeysetPath: issuerPath,
    hsmDir: dir,
    masterKey: await readMasterKey(masterKeyPath),
  });
  const env = { SSCARD_HSM_MASTER_KEY_FILE: masterKeyPath, SSCARD_HSM_DIR: dir };
  let child: ChildProcess | undefined;
  const hsm: TestHsm = {
    dir,
    socketPath: hsmPaths(dir).socket,
    masterKeyPath,
    env,
    process: () => child!,
    async start() {
      child = spawnTracked(process.execPath, [HSM_MAIN, 'serve', '--dir', dir], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = captureOutput(child);
      const started = child;
      await waitFor(
        'the HSM process to be ready',
        () => {
          if (started.exitCode !== null) throw new Error(`sscard-hsm exited: ${output()}`);
          return output().includes('sscard-hsm ready') || undefined;
        },
        20_000,
        20,
      );
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        await terminate(child, 5000);
      }
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
  await hsm.start();
  return hsm;
}
