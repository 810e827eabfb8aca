/**
 * A FIFO lock: a sqlite3 connection that writes must not interleave another caller's statements
 * with a transaction. A free lock runs its holder at once (no turn of the microtask queue), so
 * that a statement reaches the thread pool in the same tick it was asked for.
 */
export class Mutex {
  private held = false;
  private readonly waiting: (() => void)[] = [];

  lock<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.held) return this.hold(fn);
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.hold(fn).then(resolve, reject);
      });
    });
  }

  private hold<T>(fn: () => Promise<T>): Promise<T> {
    this.held = true;
    let result: Promise<T>;
    try {
      result = fn();
    } catch (e) {
      result = Promise.reject(e);
    }
    result.then(this.release, this.release);
    return result;
  }

  private readonly release = (): void => {
    const next = this.waiting.shift();
    if (next === undefined) this.held = false;
    else next();
  };
}
