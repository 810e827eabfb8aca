// The private pcscd, pty pairs and process helpers are local-stack's, which `npm start` and the
// emulator's --private-pcscd use too; the harness adds what only tests need.
export {
  captureOutput,
  freePort,
  freePortRange,
  isListening,
  type Pcscd,
  type PcscdOptions,
  type PtyPair,
  pcscdPid,
  readerFriendlyName,
  repoRoot,
  run,
  spawnTracked,
  startPcscd,
  startPtyPair,
  tempDir,
  tempDirSync,
  terminate,
  waitFor,
} from '@sscard/local-stack';
export { CHROMIUM_PATH, launchChromium } from './chromium.js';
export { type Postgres, type PostgresOptions, startPostgres } from './postgres.js';
