import type { z } from 'zod';
import { RegistryError, isRegistryError } from './errors.js';
import type { JsonAnswer } from './https-json.js';
import type { JournalEntry, JournalRequest, OutboxJournal } from './journal.js';
import { problemOf, refusalError } from './problem.js';

/**
 * Sends journalled requests: write first, send with the entry's idempotency key, record the
 * answer. A request that got no answer stays pending and is sent again, with the same key, until
 * the service answers; the service then either applies it for the first time or returns the
 * result it stored for the key. Nothing here ever concludes "it probably worked" or "it
 * probably failed": only an answer from the service settles an entry.
 */

/** Sends one entry with its idempotency key; throws RegistryError when no answer came back. */
export type Deliver = (entry: JournalEntry) => Promise<JsonAnswer>;

/**
 * Settles an entry that must not simply be sent again (a settle: its card proof was for that
 * moment, and a payment the desk never saw confirmed must not go through later): asks the service
 * what became of it and answers with the service's answer to that question, or to what it did
 * about it. Throws RegistryError like `Deliver` when the service cannot be asked.
 */
export type Resolve = (entry: JournalEntry) => Promise<JsonAnswer>;

export interface OutboxLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface OutboxOptions {
  /** 5xx answers in a row after which an entry is parked for an operator; default 5. */
  parkAfterServerErrors?: number;
  /** How long answered entries are kept before a resend pass prunes them; default 90 days. */
  retentionMs?: number;
  now?: () => Date;
}

const DEFAULT_PARK_AFTER = 5;
const DEFAULT_RETENTION_MS = 90 * 24 * 3600_000;

export interface ResendReport {
  answered: JournalEntry[];
  stillPending: JournalEntry[];
  /** Entries the service answered with a 5xx in this pass; the pass went on past them. */
  failed: JournalEntry[];
  /** Entries parked in this pass (their 5xx streak reached the limit). */
  parked: JournalEntry[];
  /** Why the pass stopped before the end (`REGISTRY_UNREACHABLE`, `TERMINAL_REVOKED`…), if it did. */
  stoppedBy?: RegistryError;
}

/**
 * Whether an HTTP status is the service's decision about the request. 5xx means the service's
 * transaction did not commit; 408, 425 and 429 mean it did not get to the request at all; 401
 * means it did not accept the terminal (revoked certificate), which says nothing about the
 * request: it is kept, to be sent once the terminal is enrolled again under the same id.
 */
export function isDecision(status: number): boolean {
  if (status >= 200 && status < 300) return true;
  if (status >= 500) return false;
  return status !== 401 && status !== 408 && status !== 425 && status !== 429;
}

/** The result of an answered entry, or the refusal it carries as a RegistryError. */
export function resultOf<T = unknown>(entry: JournalEntry): T {
  if (!entry.answer) {
    throw new RegistryError(
      'REGISTRY_UNREACHABLE',
      `${entry.operation} ${entry.idempotencyKey} has no answer yet`,
      {
        outcomeUnknown: true,
        idempotencyKey: entry.idempotencyKey,
      },
    );
  }
  if (entry.answer.status >= 200 && entry.answer.status < 300) return entry.answer.body as T;
  const error = refusalError(entry.answer, entry.operation);
  throw new RegistryError(error.code, error.message, {
    ...error.details,
    idempotencyKey: entry.idempotencyKey,
  });
}

export class Outbox {
  /** Entries being sent by this process right now: a resend pass must not send them a second time in parallel. */
  private readonly inFlight = new Set<number>();
  /** By operation: entries that are resolved rather than sent again. */
  private readonly resolvers = new Map<string, Resolve>();
  private timer: NodeJS.Timeout | undefined;
  private resending: Promise<ResendReport> | undefined;

  private readonly parkAfter: number;
  private readonly retentionMs: number;
  private readonly now: () => Date;

  constructor(
    readonly journal: OutboxJournal,
    private readonly deliver: Deliver,
    private readonly log?: OutboxLogger,
    options: OutboxOptions = {},
  ) {
    this.parkAfter = options.parkAfterServerErrors ?? DEFAULT_PARK_AFTER;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Journals the request, sends it and returns the answered entry. When no answer comes back the
   * entry stays pending and the RegistryError says so (`outcomeUnknown`, `idempotencyKey`); the
   * next resend pass settles it.
   */
  async submit(request: JournalRequest): Promise<JournalEntry> {
    const entry = await this.journal.append(request);
    return this.attempt(entry);
  }

  /**
   * From now on, pending entries of `operation` are settled by `resolve` instead of being sent
   * again, in resend passes and through `resolve(seq)`.
   */
  resolveWith(operation: string, resolve: Resolve): void {
    this.resolvers.set(operation, resolve);
  }

  /**
   * Settles one pending entry now, through its operation's resolver (or by sending it again):
   * for a request whose answer was just lost. An entry already answered is returned as it is.
   */
  async resolve(seq: number): Promise<JournalEntry> {
    const entry = await this.journal.get(seq);
    if (!entry) throw new Error(`journal has no entry ${seq}`);
    if (entry.state === 'answered') return entry;
    return this.attempt(entry, this.resolvers.get(entry.operation) ?? this.deliver);
  }

  /**
   * Sends every pending entry again, oldest first, with its original key. Called at start-up
   * (entries a crash left behind) and then periodically. Stops at the first entry that gets no
   * answer at all: the service is unreachable (or refuses the terminal) and the rest would fail
   * the same way. An entry the service answers with a 5xx is that entry's failure, not the
   * service's absence: the pass goes on with the next one, and an entry that keeps failing is
   * parked. Each pass begins by pruning answered entries older than the retention period. An
   * entry whose operation has a resolver (`resolveWith`) is resolved instead of sent.
   */
  resendPending(): Promise<ResendReport> {
    this.resending ??= this.resendPass().finally(() => {
      this.resending = undefined;
    });
    return this.resending;
  }

  /** Resends pending entries every `intervalMs` until `stop()`; the timer does not keep the process alive. */
  start(intervalMs = 60_000): void {
    if (this.timer) return;
    const tick = () => {
      this.resendPending()
        .catch((e) => this.log?.warn('outbox resend pass failed', { error: (e as Error).message }))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.resending?.catch(() => undefined);
  }

  private async resendPass(): Promise<ResendReport> {
    const answered: JournalEntry[] = [];
    const failed: JournalEntry[] = [];
    const parked: JournalEntry[] = [];
    // Pruning needs no answer from the service: it runs on every pass, reachable or not.
    await this.prune();
    const pending = (await this.journal.pending()).filter((e) => !this.inFlight.has(e.seq));
    for (const [i, entry] of pending.entries()) {
      try {
        answered.push(await this.attempt(entry, this.resolvers.get(entry.operation) ?? this.deliver));
      } catch (e) {
        if (!isRegistryError(e)) throw e;
        if (e.details?.serverError === true) {
          const now = await this.journal.get(entry.seq);
          if (now) (now.parked ? parked : failed).push(now);
          continue;
        }
        // The rest would fail the same way: the service is unreachable or does not accept us.
        const stillPending = await this.journal.pending();
        this.log?.warn('outbox: pending requests kept', {
          reason: e.code,
          pending: stillPending.length,
          first: pending[i]!.idempotencyKey,
        });
        return { answered, failed, parked, stillPending, stoppedBy: e };
      }
    }
    return { answered, failed, parked, stillPending: await this.journal.pending() };
  }

  /** Deletes answered entries older than the retention period; pending and parked ones stay. */
  async prune(): Promise<number> {
    const pruned = await this.journal.prune(new Date(this.now().getTime() - this.retentionMs));
    if (pruned > 0) this.log?.info('outbox: answered requests pruned', { count: pruned });
    return pruned;
  }

  private async attempt(entry: JournalEntry, send: Deliver = this.deliver): Promise<JournalEntry> {
    this.inFlight.add(entry.seq);
    try {
      await this.journal.recordAttempt(entry.seq);
      let answer: JsonAnswer;
      try {
        answer = await send(entry);
      } catch (e) {
        if (!isRegistryError(e)) throw e;
        await this.journal.recordFailure(entry.seq, `${e.code}: ${e.message}`);
        if (e.code !== 'REGISTRY_UNREACHABLE') throw e;
        throw new RegistryError(
          'REGISTRY_UNREACHABLE',
          `${entry.operation} was journalled as ${entry.idempotencyKey} but got no answer; it will be sent again with the same key`,
          {
            outcomeUnknown: e.outcomeUnknown,
            idempotencyKey: entry.idempotencyKey,
          },
          { cause: e },
        );
      }
      if (!isDecision(answer.status)) {
        const problem = problemOf(answer);
        const reason = `HTTP ${answer.status} ${problem.code}`;
        if (answer.status >= 500) {
          const streak = await this.journal.recordServerError(entry.seq, reason);
          const parked = streak >= this.parkAfter;
          if (parked) {
            await this.journal.park(entry.seq, `${reason}, ${streak} times in a row`);
            this.log?.warn(
              'outbox: request parked after repeated server errors; an operator must look at it',
              {
                operation: entry.operation,
                idempotencyKey: entry.idempotencyKey,
                status: answer.status,
                serviceCode: problem.code,
                serverErrors: streak,
              },
            );
          }
          throw new RegistryError(
            'REGISTRY_UNREACHABLE',
            `${entry.operation} ${entry.idempotencyKey}: card-service answered ${answer.status} (${problem.code}); ${
              parked ? 'it is parked for an operator' : 'it will be sent again with the same key'
            }`,
            {
              status: answer.status,
              serviceCode: problem.code,
              serverError: true,
              parked,
              outcomeUnknown: false,
              idempotencyKey: entry.idempotencyKey,
            },
          );
        }
        await this.journal.recordFailure(entry.seq, reason);
        if (answer.status === 401) {
          const refusal = refusalError(answer, entry.operation);
          throw new RegistryError(refusal.code, refusal.message, {
            ...refusal.details,
            outcomeUnknown: false,
            idempotencyKey: entry.idempotencyKey,
          });
        }
        throw new RegistryError(
          'REGISTRY_UNREACHABLE',
          `${entry.operation} ${entry.idempotencyKey}: card-service answered ${answer.status} (${problem.code}); it will be sent again with the same key`,
          {
            status: answer.status,
            serviceCode: problem.code,
            outcomeUnknown: false,
            idempotencyKey: entry.idempotencyKey,
          },
        );
      }
      const settled = await this.journal.recordAnswer(entry.seq, answer.status, answer.body);
      this.log?.info('outbox: request answered', {
        operation: entry.operation,
        idempotencyKey: entry.idempotencyKey,
        status: answer.status,
        attempts: settled.attempts,
      });
      return settled;
    } finally {
      this.inFlight.delete(entry.seq);
    }
  }
}

/** An entry's answer (`value`, from resultOf) as `schema` says it must be; otherwise REGISTRY_PROTOCOL. */
export function parsedAnswer<S extends z.ZodType>(
  schema: S,
  value: unknown,
  entry: JournalEntry,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new RegistryError(
      'REGISTRY_PROTOCOL',
      `${entry.operation} ${entry.idempotencyKey}: unexpected answer at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      { idempotencyKey: entry.idempotencyKey },
    );
  }
  return result.data;
}
