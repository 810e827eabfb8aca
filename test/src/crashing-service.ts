import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { captureOutput, repoRoot, spawnTracked } from '@sscard/test-harness';
import type { RegistryUnderTest } from './registry-fixture.js';

/** A second card-service process on the registry's store, that dies (SIGKILL) where its child program says. */
export interface CrashingService {
  service: ChildProcess;
  url: string;
  /** Its stdout and stderr so far, for assertion messages. */
  output: () => string;
  /** Settles once the process has exited. */
  ended: Promise<unknown>;
}

/**
 * Starts card-service/dist/testing/`child`.js on `databaseUrl` and the registry's data and HSM
 * directories (PostgreSQL serves it beside the registry's own process), with `extra` arguments,
 * and resolves once it serves.
 */
export async function startCrashingService(
  child: 'settle-crash-child' | 'withdrawal-crash-child',
  registry: RegistryUnderTest,
  databaseUrl: string,
  ...extra: string[]
): Promise<CrashingService> {
  const service = spawnTracked(process.execPath, [
    join(repoRoot, 'card-service', 'dist', 'testing', `${child}.js`),
    databaseUrl,
    registry.dataDir,
    registry.hsm.dir,
    ...extra,
  ]);
  const output = captureOutput(service);
  const ended = once(service, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const m = /listening (\S+)/.exec(output());
      if (m) resolve(m[1]!);
    };
    service.stdout!.on('data', look);
    service.once('exit', () => reject(new Error(`the service did not start: ${output()}`)));
  });
  return { service, url, output, ended };
}
