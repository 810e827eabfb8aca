/**
 * First come, first served ownership of one reader. A card session owns its reader from open to
 * close; a second caller (the hospital system and the kiosk screen asking at once) waits its turn
 * instead of failing, because sessions never wait on a person and so end quickly.
 */
export class ReaderLock {
  private tail: Promise<void> = Promise.resolve();
  private holders = 0;

  /** Resolves with the function that releases the reader; call it exactly once. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => released);
    this.holders++;
    return previous.then(() => {
      let done = false;
      return () => {
        if (done) return;
        done = true;
        this.holders--;
        release();
      };
    });
  }

  get busy(): boolean {
    return this.holders > 0;
  }
}
