import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A compiled module of this package, by its path under dist/ (e.g. `card-read/agent-reads.js`). */
export function benchScript(relative: string): string {
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}

export interface ChildRun {
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion and returns what it printed; a non-zero exit is an error that
 * carries the end of its stderr. Each measured client runs in its own process so that none of
 * them shares an event loop or a PC/SC context with the emulator or with another client.
 */
export function runChild(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(
            `${command} ${args.slice(0, 2).join(' ')} exited with ${code ?? signal}: ${stderr.slice(-2000)}`,
          ),
        );
    });
  });
}

/** Runs one of this package's Node modules; its last stdout line is its JSON result. */
export async function runNodeJson<T>(
  relative: string,
  input: unknown,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<T> {
  const { stdout } = await runChild(
    process.execPath,
    [benchScript(relative), JSON.stringify(input)],
    options,
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as T;
}

/** Child side of `runNodeJson`: reads the input, prints the result as one JSON line. */
export async function childMain<I, O>(work: (input: I) => Promise<O>): Promise<void> {
  try {
    const input = JSON.parse(process.argv[2] ?? '{}') as I;
    const output = await work(input);
    process.stdout.write(`${JSON.stringify(output)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  }
}

/** The line a server child prints once it serves: `ready {json}` (its logs may share stdout). */
export function announceReady(value: unknown): void {
  process.stdout.write(`ready ${JSON.stringify(value)}\n`);
}

/** A long-running child (a server) that announces itself with `announceReady`. */
export function startNodeServer<T>(
  relative: string,
  input: unknown,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ child: ChildProcess; ready: T; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [benchScript(relative), JSON.stringify(input)], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${relative} did not become ready: ${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8000);
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (ready) return;
      stdout = (stdout + d).slice(-65_536);
      const line = stdout.split('\n').find((l) => l.startsWith('ready '));
      if (line === undefined || !stdout.includes(`${line}\n`)) return;
      ready = true;
      clearTimeout(timer);
      const stop = () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        });
      resolve({ child, ready: JSON.parse(line.slice('ready '.length)) as T, stop });
    });
    child.on('exit', (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${relative} exited with ${code} before it was ready: ${stderr.slice(-2000)}`));
      }
    });
  });
}
