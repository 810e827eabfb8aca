import type { Logger } from '@sscard/log';
import type { Clock } from '../clock.js';
import type { Store } from '../store/store.js';

/**
 * When each terminal last made a request the service took, for the operators' terminal list.
 * Noted in memory on every identified request (a map write), written to `terminals.last_seen_at`
 * once a minute and before the list is read: a row update per request would put a write on every
 * identity check, the service's hottest read.
 */
export class TerminalContacts {
  private seen = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly flushSeconds = 60,
  ) {}

  note(terminalId: string): void {
    this.seen.set(terminalId, this.clock().toISOString());
  }

  start(): void {
    this.timer = setInterval(() => {
      this.flush().catch((e: unknown) =>
        this.log.warn('terminal contacts not written', { error: e instanceof Error ? e.message : String(e) }),
      );
    }, this.flushSeconds * 1000);
    this.timer.unref();
  }

  /** Writes the contacts noted since the last flush; an earlier time never replaces a later one. */
  flush(): Promise<void> {
    const batch = this.seen;
    this.seen = new Map();
    const next = this.writing.then(async () => {
      if (batch.size === 0) return;
      await this.store.transaction(async (tx) => {
        for (const [terminalId, at] of batch) {
          await tx.run(
            'UPDATE terminals SET last_seen_at = ? WHERE terminal_id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)',
            [at, terminalId, at],
          );
        }
      });
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }
}
