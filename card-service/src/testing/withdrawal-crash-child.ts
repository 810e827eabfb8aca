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
import { serveForCrash } from './crash-child-service.js';

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

await serveForCrash(databaseUrl, dataDir, hsmDir);
