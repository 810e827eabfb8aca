import { isSscardError, type SsseFieldName } from '@sscard/card-core';
import { ReaderError } from '../readers/errors.js';
import type { CardCheck, CheckContext, CheckResult, Verdict, VerificationReport } from './types.js';

/**
 * What a check came to: a reason it was skipped, a verdict, what its `run` threw, or what its
 * `skipReason` threw (which ends the verification, as it always did).
 */
type Outcome = { skipped: string } | { verdict: Verdict } | { thrown: unknown } | { broken: unknown };

/**
 * Checks run ahead by `CheckRegistry.runAhead`, by name, with what each came to. Their outcomes
 * are taken by `verify` in the checks' places.
 */
export interface AheadOutcomes {
  readonly outcomes: ReadonlyMap<string, Promise<Outcome>>;
}

/**
 * An ordered set of named checks, run one after another against one card. A check that throws one
 * of our typed card or crypto errors failed with that reason; a ReaderError (card pulled, reader
 * gone) is not a verdict on the card and propagates to the caller.
 */
export class CheckRegistry<Context extends CheckContext = CheckContext> {
  private readonly checks: CardCheck<Context>[] = [];

  constructor(checks: readonly CardCheck<Context>[] = []) {
    for (const check of checks) this.register(check);
  }

  register(check: CardCheck<Context>): this {
    if (this.checks.some((c) => c.name === check.name)) {
      throw new Error(`a check named "${check.name}" is already registered`);
    }
    this.checks.push(check);
    return this;
  }

  names(): string[] {
    return this.checks.map((c) => c.name);
  }

  /**
   * Runs now the checks that can be judged on what has been read so far: those that do not use
   * the card and name the fields they judge (`judges`), none of them in `unsettled` (a record
   * still on its way). `context` must already have the read's final shape: only the values of the
   * unsettled fields may still change. Such checks are pure, so running them early changes
   * nothing but when they run: `verify` takes their outcomes in their places and the report is the
   * one it would have made running them itself.
   */
  runAhead(context: Context, unsettled: ReadonlySet<SsseFieldName>): AheadOutcomes {
    const outcomes = new Map<string, Promise<Outcome>>();
    for (const check of this.checks) {
      if (check.usesCard || !check.judges || check.judges.some((f) => unsettled.has(f))) continue;
      outcomes.set(check.name, outcomeOf(check, context));
    }
    return { outcomes };
  }

  async verify(context: Context, ahead?: AheadOutcomes): Promise<VerificationReport> {
    const results: CheckResult[] = [];
    for (const check of this.checks) {
      const early = ahead?.outcomes.get(check.name);
      let outcome: Outcome;
      if (early) {
        outcome = await early;
      } else {
        const skipReason = check.skipReason(context) ?? this.stopReason(check, results);
        outcome = skipReason !== undefined ? { skipped: skipReason } : await runCheck(check, context);
      }
      if ('broken' in outcome) throw outcome.broken;
      if ('skipped' in outcome) {
        results.push({ check: check.name, status: 'skipped', reason: outcome.skipped });
      } else if ('thrown' in outcome) {
        const e = outcome.thrown;
        if (e instanceof ReaderError || !isSscardError(e)) throw e;
        results.push({ check: check.name, status: 'failed', reason: `${e.code}: ${e.message}` });
      } else if (outcome.verdict.ok === true) {
        results.push({ check: check.name, status: 'passed' });
      } else {
        results.push({
          check: check.name,
          status: outcome.verdict.ok === 'skipped' ? 'skipped' : 'failed',
          reason: outcome.verdict.reason,
        });
      }
    }
    return summarise(results);
  }

  private stopReason(check: CardCheck<Context>, results: readonly CheckResult[]): string | undefined {
    if (!check.usesCard) return undefined;
    const failed = results.find((r) => r.status === 'failed');
    return failed ? `not run: the card already failed ${failed.check}` : undefined;
  }
}

async function runCheck<Context extends CheckContext>(
  check: CardCheck<Context>,
  context: Context,
): Promise<Outcome> {
  try {
    return { verdict: await check.run(context) };
  } catch (e) {
    return { thrown: e };
  }
}

/** A check run ahead: its skip rule, then the check (the stop rule never applies: it needs no card). */
function outcomeOf<Context extends CheckContext>(
  check: CardCheck<Context>,
  context: Context,
): Promise<Outcome> {
  let skipped: string | undefined;
  try {
    skipped = check.skipReason(context);
  } catch (e) {
    return Promise.resolve({ broken: e });
  }
  return skipped !== undefined ? Promise.resolve({ skipped }) : runCheck(check, context);
}

export function summarise(results: CheckResult[]): VerificationReport {
  const failed = results.flatMap((r) =>
    r.status === 'failed' ? [{ check: r.check, reason: r.reason ?? '' }] : [],
  );
  return {
    genuine: failed.length === 0,
    ran: results.filter((r) => r.status !== 'skipped').map((r) => r.check),
    passed: results.filter((r) => r.status === 'passed').map((r) => r.check),
    failed,
    skipped: results.flatMap((r) =>
      r.status === 'skipped' ? [{ check: r.check, reason: r.reason ?? '' }] : [],
    ),
    results,
  };
}
