/** Exponential back-off for reconnecting to a daemon that restarts: fast at first, capped, reset on success. */
export class Backoff {
  private next: number;

  constructor(
    private readonly initialMs = 50,
    private readonly maxMs = 2000,
  ) {
    this.next = initialMs;
  }

  /** The delay before the next attempt; each call doubles the following one up to the cap. */
  delay(): number {
    const d = this.next;
    this.next = Math.min(this.maxMs, this.next * 2);
    return d;
  }

  reset(): void {
    this.next = this.initialMs;
  }
}
