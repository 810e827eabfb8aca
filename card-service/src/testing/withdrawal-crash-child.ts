/**
 * card-service in a process of its own that dies, killed by the kernel (SIGKILL: no exit
 * handlers, nothing flushed), when it is about to answer its first withdrawal authorisation: the
 * debit is committed and the bank counter never hears of it.
 *
 *   node withdrawal-crash-child.js <databaseUrl> <dataDir> <hsmDir>
 *
 * Prints `listening <url>` once it serves.
 */
import { ServerResponse } from 'node:http';
import { silentLogger } from '@sscard/log';
import { loadConfig } from '../config.js';
import { startService } from '../service.js';

const [databaseUrl, dataDir, hsmDir] = process.argv.slice(2);
if (!databaseUrl || !dataDir || !hsmDir) {
  process.stderr.write('usage: withdrawal-crash-child <databaseUrl> <dataDir> <hsmDir>\n');
  process.exit(2);
}

// The answer is written only after the authorisation's transaction committed.
const end = ServerResponse.prototype.end;
ServerResponse.prototype.end = function (this: ServerResponse, ...args: unknown[]) {
  if (this.req?.method === 'POST' && this.req.url === '/v1/pensions/withdrawals' && this.statusCode === 200) {
    process.kill(process.pid, 'SIGKILL');
  }
  return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
} as typeof ServerResponse.prototype.end;

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
