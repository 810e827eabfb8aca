import { PERSON_GROUPS, VISIT_TYPES, type VisitTerms } from '@sscard/registry-protocol/settlement';
import type { BillSums } from './calculation.js';

/**
 * What a policy replay needs of one settlement, written by the engine in the transaction that
 * settles it, into `settlement_replay_inputs` (clustered by insured region, scheme and time on
 * sqlite3). Why a copy: the same facts are spread over the settlement, its visit, its quote and
 * the visit's bill lines, and reading a year of them back through those four tables costs an index
 * lookup per table and per line, and a row object per line, for each settlement — a replay of a
 * million settlements spent almost all its time there. One row per settlement in replay order, its
 * facts in one JSON array of scalars. What the replay does per settlement is small, so parsing
 * that array is a large share of it: the business date is a number (yyyymmdd) and the visit type
 * and person group their index in `VISIT_TYPES` and `PERSON_GROUPS`, numbers being what JSON
 * parses fastest; only the ids and the instant stay text.
 *
 * The bill is kept as its step-1 sums (calculation.ts `BillSums`), not its lines: they do not
 * depend on the policy, so a replay under any policy needs only them, and splitting every line
 * again was the larger part of a replayed settlement's cost. They are the sums the settlement was
 * calculated on; a visit's bill may grow after a settlement of it was cancelled, and the copy does
 * not.
 */
export type ReplayInput = [
  settlementId: string,
  settledAt: string,
  /** yyyymmdd */
  businessDate: number,
  personNo: string,
  policyVersion: number,
  medfee_sumamt: number,
  hifp_pay: number,
  hifmi_pay: number,
  acct_pay: number,
  psn_cash_pay: number,
  /** Index in `VISIT_TYPES`. */
  visitType: number,
  hospitalLevel: VisitTerms['hospitalLevel'],
  /** Index in `PERSON_GROUPS`. */
  personGroup: number,
  /** 1 when the patient chose to pay from the personal account first. */
  useAccount: 0 | 1,
  /** The personal account's balance the settlement was calculated with. */
  accountBalance: number,
  fulamt_ownpay_amt: number,
  overlmt_selfpay: number,
  preselfpay_amt: number,
  inscp_scp_amt: number,
];

export { REPLAY_INPUT_COLUMNS } from '../store/replay-inputs-backfill.js';

export interface SettledFacts {
  settlementId: string;
  insuredRegion: string;
  scheme: string;
  settledAt: string;
  businessDate: string;
  personNo: string;
  policyVersion: number;
  terms: VisitTerms;
  useAccount: boolean;
  accountBalance: number;
  breakdown: BillSums & { hifp_pay: number; hifmi_pay: number; acct_pay: number; psn_cash_pay: number };
}

/** The row of `settlement_replay_inputs` for a settlement, in `REPLAY_INPUT_COLUMNS` order. */
export function replayInputRow(s: SettledFacts): (string | number)[] {
  const b = s.breakdown;
  const input: ReplayInput = [
    s.settlementId,
    s.settledAt,
    Number(s.businessDate.replaceAll('-', '')),
    s.personNo,
    s.policyVersion,
    b.medfee_sumamt,
    b.hifp_pay,
    b.hifmi_pay,
    b.acct_pay,
    b.psn_cash_pay,
    VISIT_TYPES.indexOf(s.terms.visitType),
    s.terms.hospitalLevel,
    PERSON_GROUPS.indexOf(s.terms.personGroup),
    s.useAccount ? 1 : 0,
    s.accountBalance,
    b.fulamt_ownpay_amt,
    b.overlmt_selfpay,
    b.preselfpay_amt,
    b.inscp_scp_amt,
  ];
  return [s.insuredRegion, s.scheme, s.settledAt, s.settlementId, s.personNo, JSON.stringify(input)];
}

/** The month (1–12) of an input's business date, read from its digits: no arithmetic on it. */
export const businessMonth = (yyyymmdd: number): number => Number(String(yyyymmdd).slice(4, 6));
