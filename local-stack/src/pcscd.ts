import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePortRange, isListening } from './net.js';
import { repoRoot } from './paths.js';
import { captureOutput, exited, spawnTracked, terminate } from './processes.js';
import { tempDir } from './temp.js';
import { waitFor } from './wait.js';

export interface PcscdOptions {
  /** vpcd reader entries; each gives two slots (`… 00 00` for the citizen card, `… 00 01` for the PSAM). Default 1. */
  readers?: number;
  /** Preload the TCP_NODELAY shim into pcscd (DESIGN.md §4). Default true. */
  nodelay?: boolean;
  /**
   * The name of each reader entry, as a reader's firmware would give it (so that a reader profile
   * matches it); by default `Virtual PCD`, `Virtual PCD #2`, … as vpcd names them.
   */
  names?: string[];
  /** Log every APDU in pcscd's own log (`log()`), for debugging a test. Default false. */
  apduLog?: boolean;
  /**
   * Reader entries (by index) that have a PC/SC part 10 PIN pad: local-stack/native/pinpad-ifd.c
   * in front of vpcd, whose keys a test presses with `pressPinPad`.
   */
  pinPads?: number[];
}

export interface Pcscd {
  /** Environment for every PC/SC client of this daemon (pcsclite, pcsc_scan, scriptor). */
  readonly env: { PCSCLITE_CSOCK_NAME: string };
  readonly socketPath: string;
  /** TCP port per slot, in reader-name order: [reader 0 slot 0, reader 0 slot 1, reader 1 slot 0, …]. */
  readonly vpcdPorts: number[];
  /** Reader names in the same order as `vpcdPorts`. */
  readonly readerNames: string[];
  readonly dir: string;
  /**
   * Stops and starts the daemon again on the same socket and ports. With `readers` larger than
   * before, the extra reader appears after the restart: Debian's pcscd 1.9.9 does not rescan
   * serial reader configuration while running, so a restart is how a new virtual reader arrives.
   */
  restart(options?: { readers?: number }): Promise<void>;
  /** SIGKILL, as a crash; `restart()` brings it back. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** What pcscd printed (for failure messages). */
  log(): string;
  /**
   * The cardholder's keys on reader `index`'s PIN pad (`pinPads`): one PIN per entry, in the
   * order the pad asks (current, new, confirmation), or `cancel`. The pad takes them at its next
   * PIN entry.
   */
  pressPinPad(index: number, entries: string[] | 'cancel'): Promise<void>;
}

const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const NODELAY_LIB = join(repoRoot, '.sscard/lib/libsscard-nodelay.so');
const PINPAD_DRIVER = join(repoRoot, '.sscard/lib/libsscard-pinpad-ifd.so');

export function readerFriendlyName(index: number): string {
  return index === 0 ? 'Virtual PCD' : `Virtual PCD #${index + 1}`;
}

/**
 * A private pcscd for one test run. Debian 12's pcscd always listens on /run/pcscd/pcscd.comm, so
 * it runs in its own mount namespace with a directory of ours bound over /run/pcscd; clients reach
 * it through PCSCLITE_CSOCK_NAME. Runs never collide with each other or with a system pcscd.
 */
export async function startPcscd(options: PcscdOptions = {}): Promise<Pcscd> {
  if (!existsSync(VPCD_DRIVER)) {
    throw new Error(
      `vpcd driver not found at ${VPCD_DRIVER}: run scripts/setup.sh (package vsmartcard-vpcd)`,
    );
  }
  const pinPads = new Set(options.pinPads ?? []);
  if (pinPads.size > 0 && !existsSync(PINPAD_DRIVER)) {
    throw new Error(`${PINPAD_DRIVER} is missing: run scripts/setup.sh`);
  }
  const nodelay = options.nodelay ?? true;
  if (nodelay && !existsSync(NODELAY_LIB)) {
    throw new Error(`${NODELAY_LIB} is missing: run scripts/setup.sh`);
  }
  const dir = await tempDir('sscard-pcscd-');
  const runDir = join(dir, 'run');
  const confDir = join(dir, 'conf');
  await mkdir(runDir, { recursive: true });
  await mkdir(confDir, { recursive: true });
  await mkdir('/run/pcscd', { recursive: true });
  const socketPath = join(runDir, 'pcscd.comm');

  let readers = 0;
  const pinPadDriver = (index: number) => join(dir, `libsscard-pinpad-${index}.so`);
  const vpcdPorts: number[] = [];
  const readerNames: string[] = [];
  let child: ChildProcess | undefined;
  let output: () => string = () => '';

  async function configure(count: number): Promise<void> {
    for (let i = readers; i < count; i++) {
      const base = await freePortRange(2);
      const name = options.names?.[i] ?? readerFriendlyName(i);
      // pcscd loads a driver file once and hands every entry naming it to the same instance, which
      // then listens only on the last entry's port; a copy per reader keeps the readers apart.
      let driver: string;
      if (pinPads.has(i)) {
        // The pad driver forwards to the vpcd copy beside it (`<driver>.vpcd`).
        driver = pinPadDriver(i);
        await copyFile(PINPAD_DRIVER, driver);
        await copyFile(VPCD_DRIVER, `${driver}.vpcd`);
      } else {
        driver = i === 0 ? VPCD_DRIVER : join(dir, `libifdvpcd-${i}.so`);
        if (i > 0) await copyFile(VPCD_DRIVER, driver);
      }
      await writeFile(
        join(confDir, `vpcd-${i}`),
        `FRIENDLYNAME "${name}"\nDEVICENAME /dev/null:0x${base.toString(16)}\nLIBPATH ${driver}\nCHANNELID 0x${base.toString(16)}\n`,
      );
      vpcdPorts.push(base, base + 1);
      readerNames.push(`${name} 00 00`, `${name} 00 01`);
    }
    readers = Math.max(readers, count);
  }

  async function launch(): Promise<void> {
    await rm(socketPath, { force: true });
    const debug = options.apduLog ? ' --apdu --debug' : '';
    child = spawnTracked(
      'unshare',
      [
        '-m',
        'sh',
        '-c',
        `mount --bind '${runDir}' /run/pcscd && exec pcscd --foreground${debug} -c '${confDir}'`,
      ],
      { env: { ...process.env, ...(nodelay ? { LD_PRELOAD: NODELAY_LIB } : {}) } },
    );
    output = captureOutput(child);
    const started = child;
    await waitFor(
      'pcscd to listen on its socket and vpcd ports',
      async () => {
        if (started.exitCode !== null) throw new Error(`pcscd exited: ${output()}`);
        if (!existsSync(socketPath)) return false;
        // unshare and sh exec into pcscd, so the child's pid is the daemon's
        const pid = started.pid;
        for (const port of vpcdPorts) if (!(await isListening(port, pid))) return false;
        return true;
      },
      15_000,
    );
  }

  await configure(options.readers ?? 1);
  await launch();

  const handle: Pcscd = {
    env: { PCSCLITE_CSOCK_NAME: socketPath },
    socketPath,
    vpcdPorts,
    readerNames,
    dir,
    async restart(opts) {
      if (child) await terminate(child);
      if (opts?.readers) await configure(opts.readers);
      await launch();
    },
    async kill() {
      if (!child) return;
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      if (child) await terminate(child);
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
    log: () => output(),
    async pressPinPad(index, entries) {
      if (!pinPads.has(index)) throw new Error(`reader ${index} has no PIN pad (pinPads)`);
      const keys = `${pinPadDriver(index)}.keys`;
      // Written whole and renamed into place: the pad must never read half a line.
      await writeFile(`${keys}.tmp`, `${entries === 'cancel' ? 'C' : entries.join('\n')}\n`, { mode: 0o600 });
      await rename(`${keys}.tmp`, keys);
    },
  };
  return handle;
}

/** The pid pcscd wrote, for tests that want to signal it directly. */
export async function pcscdPid(pcscd: Pcscd): Promise<number> {
  const text = await readFile(join(pcscd.dir, 'run', 'pcscd.pid'), 'utf8');
  return Number.parseInt(text.replace(/\0/g, '').trim(), 10);
}
