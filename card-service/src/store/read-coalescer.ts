/**
 * Answers many single-key reads with one statement per batch. Each statement costs a trip to
 * sqlite3's thread pool (a thread woken, a callback back on the main thread) or a round trip to
 * PostgreSQL, whatever it reads, so under load requests that would each send a statement for
 * their own key (or for the same one) share one instead.
 *
 * - A batch leaves at the end of the tick in which its first read was asked for (a microtask), so
 *   reads asked for together go together and a lone read waits for nothing else; while
 *   `maxInFlight` batches run, reads wait for the next one, which leaves as soon as one finishes
 *   and takes everything that waited.
 * - A batch holds only reads asked for before it was sent, so every read sees what was committed
 *   before it was asked for (a revocation applies at the next request, as without batching); a
 *   read never joins a batch already running.
 * - Keys are deduplicated within a batch; callers asking for the same key get the same value, so
 *   values must be treated as read-only. A key `load` does not answer is `undefined`.
 * - A batch that fails rejects its own callers only.
 */
export type BatchLoad<V> = (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>;

interface Waiting<V> {
  key: string;
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

export interface ReadCoalescerOptions {
  /**
   * Batches running at once. 1 by default: measured with the identity benchmark, a second batch
   * in flight halves the batches' size and costs more CPU per read on both engines than the
   * latency it saves.
   */
  maxInFlight?: number;
  /** Keys per statement at most; more wait for the next batch. */
  maxBatch?: number;
}

export class ReadCoalescer<V> {
  private waiting: Waiting<V>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(
    private readonly load: BatchLoad<V>,
    options: ReadCoalescerOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
    this.maxBatch = Math.max(1, options.maxBatch ?? 200);
  }

  get(key: string): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      if (!this.scheduled && this.inFlight < this.maxInFlight) {
        this.scheduled = true;
        queueMicrotask(this.issueScheduled);
      }
    });
  }

  private readonly issueScheduled = (): void => {
    this.scheduled = false;
    if (this.waiting.length > 0 && this.inFlight < this.maxInFlight) this.issue();
  };

  private issue(): void {
    const all = this.waiting;
    const batch = all.length <= this.maxBatch ? all : all.slice(0, this.maxBatch);
    this.waiting = all.length <= this.maxBatch ? [] : all.slice(this.maxBatch);
    const keys = batch.length === 1 ? [batch[0]!.key] : [...new Set(batch.map((w) => w.key))];
    this.inFlight++;
    let loading: Promise<ReadonlyMap<string, V>>;
    try {
      loading = this.load(keys);
    } catch (e) {
      loading = Promise.reject(e);
    }
    loading.then(
      (found) => {
        this.finished();
        for (const w of batch) w.resolve(found.get(w.key));
      },
      (error: unknown) => {
        this.finished();
        for (const w of batch) w.reject(error);
      },
    );
  }

  /** The next batch leaves before this one's callers go on, so its read overlaps their work. */
  private finished(): void {
    this.inFlight--;
    if (this.waiting.length > 0) this.issue();
  }
}
