/**
 * Progress of a long pass as one line: a bar, the share done, rows, rows/s and the time left,
 * e.g. `importing [#########-----------]  45% 4,500,000 of 10,000,000 rows, 52,310 rows/s, ETA 1:45`.
 * At most one line a second (`everyMs`); `done` prints the pass's last line with its rate.
 */
export class ProgressMeter {
  private readonly startedAt = performance.now();
  private lastAt = this.startedAt;
  private rows = 0;

  constructor(
    private readonly label: string,
    private readonly say: (message: string) => void,
    /** Rows expected; without it the share done comes from `update`'s `fraction`. */
    private readonly total?: number,
    private readonly everyMs = 1000,
    /** What is counted: `rows`, `holders`. */
    private readonly unit = 'rows',
  ) {}

  /** `force`: draw now, though the last line is less than `everyMs` old (the first and last lines). */
  update(rows: number, fraction?: number, force = false): void {
    this.rows = rows;
    const now = performance.now();
    if (!force && now - this.lastAt < this.everyMs) return;
    this.lastAt = now;
    const share = Math.min(1, fraction ?? (this.total ? rows / this.total : 0));
    const seconds = (now - this.startedAt) / 1000;
    const rate = rows / Math.max(seconds, 1e-3);
    const eta = share > 0 ? (seconds * (1 - share)) / share : Number.NaN;
    const width = 20;
    const filled = Math.round(share * width);
    this.say(
      `${this.label.padEnd(9)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ` +
        `${count(rows)}${this.total === undefined ? '' : ` of ${count(this.total)}`} ${this.unit}, ${count(rate)} ${this.unit}/s, ETA ${clock(eta)}`,
    );
  }

  done(summary: string): void {
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.say(
      `${summary} in ${clock(seconds)} (${count(this.rows / Math.max(seconds, 1e-3))} ${this.unit}/s)`,
    );
  }
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
