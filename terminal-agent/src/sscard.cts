#!/usr/bin/env node
// The `sscard` executable. CommonJS on purpose: this file runs before any ES module is loaded, so
// the thread pool size it sets is the one libuv starts with (see thread-pool.cts).
import { reserveThreadPool } from './thread-pool.cjs';

reserveThreadPool();

import('./cli.js').then(
  (cli) => cli.runAsCommand(process.argv.slice(2)),
  (e: unknown) => {
    console.error(e);
    process.exitCode = 70;
  },
);
