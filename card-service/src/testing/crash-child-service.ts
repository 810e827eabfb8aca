import { silentLogger } from '@sscard/log';
import { type ServiceConfig, loadConfig } from '../config.js';
import { startService } from '../service.js';

/** The configuration of a crash test's service, in the child that dies and after it, on one store. */
export function crashTestConfig(databaseUrl: string, dataDir: string, hsmDir: string): ServiceConfig {
  return loadConfig({
    env: {},
    overrides: {
      dataDir,
      databaseUrl,
      listen: { host: '127.0.0.1', port: 0 },
      logLevel: 'silent',
      hsm: { dir: hsmDir },
      // The test's PostgreSQL runs without fsync; the crash here is the service's, not the server's.
      postgres: { acceptUnsafeDurability: true },
    },
  });
}

/**
 * Starts card-service in a crash test's child process on the test's database, data and HSM
 * directories, and prints `listening <url>` once it serves.
 */
export async function serveForCrash(databaseUrl: string, dataDir: string, hsmDir: string): Promise<void> {
  const service = await startService(crashTestConfig(databaseUrl, dataDir, hsmDir), { log: silentLogger });
  process.stdout.write(`listening ${service.url}\n`);
}
