import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';

/**
 * Children the harness started. A test that fails before its cleanup must not leave a pcscd,
 * socat or postgres behind for the next run, so every child is killed when this process exits.
 */
const live = new Set<ChildProcess>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  hookExit();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Collects a child's output so a failed start can say why. */
export function captureOutput(child: ChildProcess, limit = 64 * 1024): () => string {
  let text = '';
  const add = (chunk: Buffer): void => {
    if (text.length < limit) text += chunk.toString('utf8');
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL if the child has not gone after `graceMs`. */
export async function terminate(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Runs a command to completion and returns its output; rejects with the output on failure. */
export function run(command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    const output = captureOutput(child);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output());
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${output().slice(-2000)}`),
        );
    });
  });
}
