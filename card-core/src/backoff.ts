/**
 * Delays for re-trying something that failed because the environment is not there yet (pcscd
 * restarting, a serial device re-enumerating, vpcd's port not listening): fast at first so a
 * quick restart is invisible, then capped so a long outage costs almost nothing. Pure
 * arithmetic: the caller does the waiting. Used by the agent's readers and the emulator's vpcd link.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor?: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000, factor: 2 };

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The delay before the next attempt; each call counts one failed attempt. */
  next(): number {
    const { initialMs, maxMs, factor = 2 } = this.options;
    const delay = Math.min(maxMs, initialMs * factor ** this.attempt);
    this.attempt++;
    return delay;
  }

  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
