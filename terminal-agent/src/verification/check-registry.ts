import { isSscardError } from '@sscard/card-core';
import { ReaderError } from '../readers/errors.js';
import type { CardCheck, CheckContext, CheckResult, VerificationReport } from './types.js';

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

  async verify(context: Context): Promise<VerificationReport> {
    const results: CheckResult[] = [];
    for (const check of this.checks) {
      const skipReason = check.skipReason(context) ?? this.stopReason(check, results);
      if (skipReason !== undefined) {
        results.push({ check: check.name, status: 'skipped', reason: skipReason });
        continue;
      }
      try {
        const verdict = await check.run(context);
        if (verdict.ok === true) results.push({ check: check.name, status: 'passed' });
        else if (verdict.ok === 'skipped')
          results.push({ check: check.name, status: 'skipped', reason: verdict.reason });
        else results.push({ check: check.name, status: 'failed', reason: verdict.reason });
      } catch (e) {
        if (e instanceof ReaderError || !isSscardError(e)) throw e;
        results.push({ check: check.name, status: 'failed', reason: `${e.code}: ${e.message}` });
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
