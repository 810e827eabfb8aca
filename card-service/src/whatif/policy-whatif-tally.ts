import type { whatif } from '@sscard/registry-protocol';
import { forecastFund } from './forecast.js';
import type { PersonGroup } from '@sscard/registry-protocol/settlement';
import type { ReplayedSettlement } from './settlement-replay.js';

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

/** A tally as plain data, to hand from a worker thread to the one that merges the parts. */
export interface TallyState {
  settlements: number;
  ended: number;
  changed: number;
  funds: PolicyWhatIfTally['funds'];
  personal: whatif.PolicyWhatIfResult['personal'];
  changes: number[];
  monthly: PolicyWhatIfTally['monthly'];
}

export class PolicyWhatIfTally {
  settlements = 0;
  ended = 0;
  changed = 0;
  readonly funds = { before: { pooled: 0, largeExpense: 0 }, after: { pooled: 0, largeExpense: 0 } };
  /** By person group, then hospital level − 1. */
  private readonly personal = new Map<
    string,
    (whatif.PolicyWhatIfResult['personal'][number] | undefined)[]
  >();
  /** Each patient's change over the year, by the replay's person index; absent for a patient with no standing settlement. */
  private readonly perPatient: (number | undefined)[] = [];
  /** The changes of patients tallied on other threads (each patient is tallied on one thread only). */
  private readonly absorbed: number[] = [];
  readonly monthly = Array.from({ length: 12 }, () => ({
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
    const m = this.monthly[s.month - 1]!;
    m.before.pooled += r.hifp_pay;
    m.before.largeExpense += r.hifmi_pay;
    m.after.pooled += b.hifp_pay;
    m.after.largeExpense += b.hifmi_pay;
    const personalBefore = r.medfee_sumamt - r.hifp_pay - r.hifmi_pay;
    const p = this.figuresOf(s.personGroup, s.hospitalLevel);
    p.settlements++;
    p.before += personalBefore;
    p.after += b.psn_part_amt;
    this.perPatient[s.personIndex] = (this.perPatient[s.personIndex] ?? 0) + b.psn_part_amt - personalBefore;
  };

  private personalFigures(): whatif.PolicyWhatIfResult['personal'] {
    return [...this.personal.values()]
      .flatMap((byLevel) => byLevel.filter((p) => p !== undefined))
      .sort((a, b) => a.personGroup.localeCompare(b.personGroup) || a.hospitalLevel - b.hospitalLevel);
  }

  private changes(): number[] {
    return [...this.perPatient.filter((c) => c !== undefined), ...this.absorbed];
  }

  state(): TallyState {
    return {
      settlements: this.settlements,
      ended: this.ended,
      changed: this.changed,
      funds: this.funds,
      personal: this.personalFigures(),
      changes: this.changes(),
      monthly: this.monthly,
    };
  }

  /** Adds another thread's tally of other patients. */
  absorb(other: TallyState): void {
    this.settlements += other.settlements;
    this.ended += other.ended;
    this.changed += other.changed;
    for (const side of ['before', 'after'] as const) {
      this.funds[side].pooled += other.funds[side].pooled;
      this.funds[side].largeExpense += other.funds[side].largeExpense;
      for (const [i, m] of other.monthly.entries()) {
        this.monthly[i]![side].pooled += m[side].pooled;
        this.monthly[i]![side].largeExpense += m[side].largeExpense;
      }
    }
    for (const p of other.personal) {
      const mine = this.figuresOf(p.personGroup, p.hospitalLevel);
      mine.settlements += p.settlements;
      mine.before += p.before;
      mine.after += p.after;
    }
    this.absorbed.push(...other.changes);
  }

  private figuresOf(
    personGroup: PersonGroup,
    hospitalLevel: number,
  ): whatif.PolicyWhatIfResult['personal'][number] {
    let byLevel = this.personal.get(personGroup);
    if (!byLevel) {
      byLevel = [undefined, undefined, undefined];
      this.personal.set(personGroup, byLevel);
    }
    let p = byLevel[hospitalLevel - 1];
    if (!p) {
      p = { personGroup, hospitalLevel, settlements: 0, before: 0, after: 0 };
      byLevel[hospitalLevel - 1] = p;
    }
    return p;
  }

  result(forecast: whatif.PolicyWhatIfRequest['forecast']): whatif.PolicyWhatIfResult {
    const changes = this.changes();
    let payMore = 0;
    let payLess = 0;
    for (const c of changes) {
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
      personal: this.personalFigures(),
      patients: {
        total: changes.length,
        payMore,
        payLess,
        same: changes.length - payMore - payLess,
        distribution: distribution(changes),
      },
      monthly: months(this.year).map((month, i) => ({ month, ...this.monthly[i]! })),
      forecast: { pooled: fundForecast('pooled'), largeExpense: fundForecast('largeExpense') },
    };
  }
}
