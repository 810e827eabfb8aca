import type { whatif } from '@sscard/registry-protocol';
import type { Queryable } from '../store/store.js';
import { forecastFund } from './forecast.js';
import { type ReplayOptions, type ReplayedSettlement, replaySettlements } from './settlement-replay.js';

/**
 * A policy what-if's figures from the replay: fund spending before (as recorded) and after (as
 * replayed), the personal part by person group and hospital level, the patients who pay more or
 * less over the year and by how much, the months of the year, and each fund's forecast from them.
 * Settlements cancelled or reversed count in none of the figures (they moved nothing in the end),
 * only in the accumulators while they stood.
 */

/** Bounds of the per-patient change buckets, in fen: ±10, ±100, ±1000 and ±10000 yuan. */
const EDGES = [-1_000_000, -100_000, -10_000, -1_000, 0, 1, 1_000, 10_000, 100_000, 1_000_000];

export function distribution(
  changes: Iterable<number>,
): whatif.PolicyWhatIfResult['patients']['distribution'] {
  const buckets = [null, ...EDGES].map((from, i) => ({ from, to: EDGES[i] ?? null, patients: 0 }));
  for (const c of changes) {
    let i = 0;
    while (i < EDGES.length && c >= EDGES[i]!) i++;
    buckets[i]!.patients++;
  }
  return buckets;
}

const months = (year: number) =>
  Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);

export class PolicyWhatIfTally {
  settlements = 0;
  ended = 0;
  changed = 0;
  private readonly funds = { before: { pooled: 0, largeExpense: 0 }, after: { pooled: 0, largeExpense: 0 } };
  private readonly personal = new Map<string, whatif.PolicyWhatIfResult['personal'][number]>();
  private readonly perPatient = new Map<string, number>();
  private readonly monthly = Array.from({ length: 12 }, () => ({
    before: { pooled: 0, largeExpense: 0 },
    after: { pooled: 0, largeExpense: 0 },
  }));

  constructor(private readonly year: number) {}

  readonly add = (s: ReplayedSettlement): void => {
    if (!s.standing) {
      this.ended++;
      return;
    }
    this.settlements++;
    const r = s.recorded;
    const b = s.replayed;
    if (
      r.hifp_pay !== b.hifp_pay ||
      r.hifmi_pay !== b.hifmi_pay ||
      r.acct_pay !== b.acct_pay ||
      r.psn_cash_pay !== b.psn_cash_pay
    )
      this.changed++;
    this.funds.before.pooled += r.hifp_pay;
    this.funds.before.largeExpense += r.hifmi_pay;
    this.funds.after.pooled += b.hifp_pay;
    this.funds.after.largeExpense += b.hifmi_pay;
    const m = this.monthly[Number(s.businessDate.slice(5, 7)) - 1]!;
    m.before.pooled += r.hifp_pay;
    m.before.largeExpense += r.hifmi_pay;
    m.after.pooled += b.hifp_pay;
    m.after.largeExpense += b.hifmi_pay;
    const personalBefore = r.medfee_sumamt - r.hifp_pay - r.hifmi_pay;
    const key = `${s.personGroup}:${s.hospitalLevel}`;
    let p = this.personal.get(key);
    if (!p) {
      p = { personGroup: s.personGroup, hospitalLevel: s.hospitalLevel, settlements: 0, before: 0, after: 0 };
      this.personal.set(key, p);
    }
    p.settlements++;
    p.before += personalBefore;
    p.after += b.psn_part_amt;
    this.perPatient.set(s.personNo, (this.perPatient.get(s.personNo) ?? 0) + b.psn_part_amt - personalBefore);
  };

  result(forecast: whatif.PolicyWhatIfRequest['forecast']): whatif.PolicyWhatIfResult {
    let payMore = 0;
    let payLess = 0;
    for (const c of this.perPatient.values()) {
      if (c > 0) payMore++;
      else if (c < 0) payLess++;
    }
    const fundForecast = (fund: 'pooled' | 'largeExpense') => {
      const of = (side: 'before' | 'after') =>
        forecastFund({
          history: months(this.year).map((month, i) => ({ month, spending: this.monthly[i]![side][fund] })),
          settings: forecast,
          fund: forecast[fund],
        });
      return { before: of('before'), after: of('after') };
    };
    return {
      settlements: this.settlements,
      ended: this.ended,
      changedSettlements: this.changed,
      funds: this.funds,
      personal: [...this.personal.values()].sort(
        (a, b) => a.personGroup.localeCompare(b.personGroup) || a.hospitalLevel - b.hospitalLevel,
      ),
      patients: {
        total: this.perPatient.size,
        payMore,
        payLess,
        same: this.perPatient.size - payMore - payLess,
        distribution: distribution(this.perPatient.values()),
      },
      monthly: months(this.year).map((month, i) => ({ month, ...this.monthly[i]! })),
      forecast: { pooled: fundForecast('pooled'), largeExpense: fundForecast('largeExpense') },
    };
  }
}

export async function runPolicyWhatIf(
  q: Queryable,
  request: whatif.PolicyWhatIfRequest,
  options: ReplayOptions = {},
): Promise<whatif.PolicyWhatIfResult> {
  const tally = new PolicyWhatIfTally(request.year);
  await replaySettlements(q, request, tally.add, options);
  return tally.result(request.forecast);
}
