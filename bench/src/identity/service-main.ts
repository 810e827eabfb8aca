import { announceReady } from '../lib/children.js';
import { loadConfig, type ServiceConfigInput } from '@sscard/card-service/config';
import { createLogger } from '@sscard/log';
import { startService } from '@sscard/card-service/service';

/**
 * card-service as it runs in production (`startService`), in a process of its own, configured by
 * the benchmark's overrides only. Prints `{"url": …}` once listening; stops on SIGTERM.
 */
const overrides = JSON.parse(process.argv[2] ?? '{}') as ServiceConfigInput;
const config = loadConfig({ env: {}, overrides });
const service = await startService(config, {
  log: createLogger({ level: config.logLevel, write: (line) => process.stdout.write(line) }),
});
announceReady({ url: service.url });
process.once('SIGTERM', () => {
  service.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
