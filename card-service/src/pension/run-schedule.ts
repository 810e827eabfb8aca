import type { Logger } from '@sscard/log';
import type { pension } from '@sscard/registry-protocol';
import { type Clock, chinaDate } from '../clock.js';
import { DomainError } from '../errors.js';
import { type Actor, SYSTEM } from '../registry/actor.js';
import type { Store } from '../store/store.js';
import type { SilentCertification } from './certification.js';
import { type Month, chinaMonth } from './months.js';
import { type RegionRunReport, listRuns, runPensionMonth } from './monthly-run.js';

export interface PensionRunsOptions {
  /** From this day of the month (China time) on, the month's run is started once; undefined: never by itself. */
  dayOfMonth?: number | undefined;
  /** How often the schedule is looked at, in seconds. */
  checkSeconds: number;
  silentCertification: SilentCertification;
}

/**
 * The monthly runs the service starts itself: on an operator's request, and on the configured day
 * of each month. A run works batch after batch in the background (the same run as the command
 * line's, which pays each holder once per month however often it is started); a request for a
 * run that is going joins it instead of starting a second, and the schedule starts the month's
 * run only while some paying region has no completed run of it.
 */
export class PensionRuns {
  readonly #running = new Map<string, Promise<RegionRunReport[]>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: PensionRunsOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Starts the run of `month` (one region, or every one) unless the same one is going. A month that
   * has not begun in China time is refused. `done` settles when the run has gone through.
   */
  start(
    month: Month,
    region: string | undefined,
    actor: Actor,
  ): { started: boolean; done: Promise<RegionRunReport[]> } {
    if (this.#closed) throw new DomainError('STORE_UNAVAILABLE', 'the service is stopping', 503);
    if (month > chinaMonth(this.clock())) {
      throw new DomainError('PENSION_RUN_EARLY', `${month} has not begun`, 409, {
        month: chinaMonth(this.clock()),
      });
    }
    // A run of every region covers a run of one, and the other way round: one key per month.
    const key = month;
    const going = this.#running.get(key);
    if (going) return { started: false, done: going };
    const done = runPensionMonth(this.store, this.clock, {
      month,
      region,
      actor,
      silentCertification: this.options.silentCertification,
    })
      .then((reports) => {
        this.log.info('pension run done', {
          month,
          region: region ?? 'all',
          holders: reports.reduce((n, r) => n + r.holders, 0),
          amount: reports.reduce((n, r) => n + r.amount, 0),
        });
        return reports;
      })
      .catch((error: unknown) => {
        // Whole batches are committed: the next start pays what is left.
        this.log.error('pension run failed', { month, region: region ?? 'all', error });
        throw error;
      })
      .finally(() => this.#running.delete(key));
    // The caller may not wait for it; its failure is logged above.
    done.catch(() => undefined);
    this.#running.set(key, done);
    return { started: true, done };
  }

  /** Starts the run as asked over the API, and answers the month's runs as they stand. */
  async startRequested(
    body: { month: Month; region?: string | undefined },
    actor: Actor,
  ): Promise<pension.PensionRunStarted> {
    const { started } = this.start(body.month, body.region, actor);
    return {
      month: body.month,
      region: body.region ?? null,
      started,
      runs: await listRuns(this.store, body.month),
    };
  }

  /**
   * The schedule's look: from the configured day of this month on, the month's run is started
   * when some paying region has no completed run of it. Answers the run it started, if any.
   */
  async due(): Promise<Promise<RegionRunReport[]> | undefined> {
    const day = this.options.dayOfMonth;
    if (day === undefined || this.#closed) return undefined;
    const now = this.clock();
    const month = chinaMonth(now);
    const today = Number(chinaDate(now).slice(8, 10));
    if (today < day || this.#running.has(month)) return undefined;
    const open = await this.store.get<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM (SELECT DISTINCT paying_region FROM pension_entitlements) r
       WHERE NOT EXISTS (SELECT 1 FROM pension_runs p WHERE p.month = ? AND p.region = r.paying_region
                         AND p.completed_at IS NOT NULL)`,
      [month],
    );
    if (Number(open?.n ?? 0) === 0) return undefined;
    return this.start(month, undefined, SYSTEM).done;
  }

  /** Looks at the schedule every `checkSeconds` (when a day is configured). */
  startSchedule(): void {
    if (this.options.dayOfMonth === undefined) return;
    const look = () => {
      this.due().catch((error: unknown) => this.log.error('pension run schedule', { error }));
    };
    this.#timer = setInterval(look, this.options.checkSeconds * 1000);
    this.#timer.unref();
    look();
  }

  /** Stops the schedule and waits for the runs going to finish their batches. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled(this.#running.values());
  }
}
