import { silentLogger } from '@sscard/log';
import { loadConfig } from '../config.js';
import { startService } from '../service.js';

/**
 * Starts card-service in a crash test's child process on the test's database, data and HSM
 * directories, and prints `listening <url>` once it serves.
 */
export async function serveForCrash(databaseUrl: string, dataDir: string, hsmDir: string): Promise<void> {
  const config = loadConfig({
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
  const service = await startService(config, { log: silentLogger });
  process.stdout.write(`listening ${service.url}\n`);
}
