/**
 * The size of libuv's thread pool for the agent's processes, and why it is not Node's default 4.
 *
 * The pcsclite binding runs SCardConnect/SCardTransmit/SCardDisconnect on the pool, and a card
 * that stops answering keeps its thread until someone pulls it out (the session gives up on the
 * call; the thread cannot). Everything else asynchronous shares the same threads: the sqlite3
 * journal, file reads, DNS lookups for card-service, key generation at enrolment. With 4 threads,
 * a silent card in the user slot and a silent PSAM would halve the daemon, and two more would stop
 * its journal and its link to the registry. 16 leaves room for a stalled card in every slot of a
 * terminal's readers and the work that must go on meanwhile.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool starts on first use, and Node's ES module
 * loader already uses the pool to read the entry module's imports: the variable has to be set
 * before any ES module is loaded. So the `sscard` executable is a CommonJS file (sscard.cts)
 * that calls `reserveThreadPool()` first and only then imports the CLI.
 */
export const MIN_THREAD_POOL_SIZE = 16;

/** libuv's upper bound (UV_THREADPOOL_SIZE above it is clamped by libuv itself). */
const MAX_THREAD_POOL_SIZE = 1024;

/**
 * Sets UV_THREADPOOL_SIZE to at least MIN_THREAD_POOL_SIZE; an operator's larger value is kept.
 * Has an effect only before the pool's first use. Returns the size set.
 */
export function reserveThreadPool(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  const size = Number.isInteger(configured)
    ? Math.min(Math.max(configured, MIN_THREAD_POOL_SIZE), MAX_THREAD_POOL_SIZE)
    : MIN_THREAD_POOL_SIZE;
  env.UV_THREADPOOL_SIZE = String(size);
  return size;
}
