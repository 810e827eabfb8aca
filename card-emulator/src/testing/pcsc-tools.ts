import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirSync } from '@sscard/test-harness';

/**
 * Drives the pcsc-tools command-line clients (pcsc_scan, scriptor) against a pcscd, the way an
 * operator checks a reader by hand. Used by the bridge's tests to prove the emulator through a
 * PC/SC client that is not ours.
 */

export interface ScannedReader {
  index: number;
  name: string;
  state: string;
  atr: string | undefined;
}

/** One pass of `pcsc_scan -n`: every reader, its card state and ATR (hex without spaces). */
export function scanReaders(env: Record<string, string>, seconds = 1): Promise<ScannedReader[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'pcsc_scan',
      ['-n', '-t', String(seconds)],
      { env: { ...process.env, ...env } },
      (error, stdout) => {
        if (error && !stdout) return reject(error);
        const readers = new Map<number, ScannedReader>();
        let current: ScannedReader | undefined;
        for (const line of stdout.split(/[\r\n]+/)) {
          const head = /^ Reader (\d+): (.*)$/.exec(line);
          if (head) {
            const index = Number(head[1]);
            current = { index, name: head[2]!.trim(), state: '', atr: undefined };
            readers.set(index, current);
            continue;
          }
          const state = /^\s+Card state: (.*?),?\s*$/.exec(line);
          if (state && current) current.state = state[1]!;
          const atr = /^\s+ATR: ([0-9A-F ]+)$/.exec(line);
          if (atr && current) current.atr = atr[1]!.replace(/\s+/g, '');
        }
        resolve([...readers.values()]);
      },
    );
  });
}

export interface ScriptorExchange {
  command: string;
  /** Response bytes and status word, hex without spaces; undefined when scriptor reported an error. */
  response: string | undefined;
}

export interface ScriptorRun {
  exchanges: ScriptorExchange[];
  output: string;
  exitCode: number | null;
}

/**
 * scriptor prints `> command`, then `< response : meaning`; a long response wraps after 16 bytes
 * onto lines of bare hex, the last of which carries the `: meaning`.
 */
function parseScriptor(output: string): ScriptorExchange[] {
  const exchanges: ScriptorExchange[] = [];
  let open: { exchange: ScriptorExchange; hex: string } | undefined;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const cmd = /^> ([0-9A-Fa-f ]+)$/.exec(line);
    if (cmd) {
      open = undefined;
      exchanges.push({ command: cmd[1]!.replace(/\s+/g, '').toUpperCase(), response: undefined });
      continue;
    }
    const last = exchanges[exchanges.length - 1];
    const first = /^<\s*([0-9A-Fa-f ]*?)\s*(:.*)?$/.exec(line);
    const more = /^([0-9A-Fa-f ]+?)\s*(:.*)?$/.exec(line);
    const part = first && last && last.response === undefined && !open ? first : open ? more : undefined;
    if (!part || !last) continue;
    const hex = (open?.hex ?? '') + part[1]!.replace(/\s+/g, '').toUpperCase();
    if (part[2] !== undefined) {
      last.response = hex;
      open = undefined;
    } else {
      open = { exchange: last, hex };
    }
  }
  return exchanges;
}

/** Runs APDUs (hex lines) through `scriptor -r <reader>` and collects the answers. */
export function runScriptor(
  env: Record<string, string>,
  reader: string,
  apdus: string[],
): Promise<ScriptorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('scriptor', ['-r', reader], { env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ exchanges: parseScriptor(output), output, exitCode: code }));
    // scriptor gives up before reading its input when the reader has no card; the write then fails
    // with EPIPE, and its exit code and output already say why.
    child.stdin.on('error', () => {});
    child.stdin.end(`${apdus.join('\n')}\n`);
  });
}

let autoflushDir: string | undefined;

/**
 * scriptor is Perl and block-buffers stdout into a pipe, so an answer would only show when it
 * exits. A one-line module loaded through PERL5OPT turns on autoflush.
 */
function autoflushEnv(): Record<string, string> {
  if (!autoflushDir) {
    autoflushDir = tempDirSync('sscard-scriptor-');
    writeFileSync(join(autoflushDir, 'SscardAutoflush.pm'), 'package SscardAutoflush; $| = 1; 1;\n');
  }
  return { PERL5LIB: autoflushDir, PERL5OPT: '-MSscardAutoflush' };
}

/**
 * An interactive scriptor session: send one APDU at a time and wait for its answer, so a test can
 * change the card between two APDUs of the same PC/SC connection.
 */
export class ScriptorSession {
  private output = '';
  private readonly child;
  private readonly exit: Promise<number | null>;

  constructor(env: Record<string, string>, reader: string) {
    this.child = spawn('scriptor', ['-r', reader], { env: { ...process.env, ...env, ...autoflushEnv() } });
    this.child.stdout.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    // Writing to a scriptor that already gave up (card gone) fails with EPIPE; its exit says why.
    this.child.stdin.on('error', () => {});
    this.exit = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get text(): string {
    return this.output;
  }

  /** Sends one APDU; resolves with its answer, or undefined when scriptor failed or exited. */
  async send(apdu: string): Promise<string | undefined> {
    const before = parseScriptor(this.output).length;
    this.child.stdin.write(`${apdu}\n`);
    for (;;) {
      const exchanges = parseScriptor(this.output);
      const mine = exchanges[before];
      if (mine?.response !== undefined) return mine.response;
      if (this.child.exitCode !== null) return undefined;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Ends the session. scriptor blocked in a transmit (a mute card) never reads its end of input,
   * so it is killed if it has not gone after `graceMs`.
   */
  async close(graceMs = 5000): Promise<number | null> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}
