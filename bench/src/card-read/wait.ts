import { setTimeout as sleep } from 'node:timers/promises';

/** Polls until `ready()` holds; a stack that never settles fails the run instead of hanging it. */
export async function waitUntil(what: string, ready: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
