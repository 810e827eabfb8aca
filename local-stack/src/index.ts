export { freePort, freePortRange, isListening } from './net.js';
export { type Pcscd, type PcscdOptions, pcscdPid, readerFriendlyName, startPcscd } from './pcscd.js';
export { type PtyPair, startPtyPair } from './pty.js';
export { repoRoot } from './paths.js';
export { captureOutput, run, spawnTracked, terminate } from './processes.js';
export { tempDir, tempDirSync } from './temp.js';
export { waitFor } from './wait.js';
