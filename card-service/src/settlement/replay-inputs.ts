import type { Breakdown, PricedLine, VisitTerms } from '@sscard/registry-protocol/settlement';

/**
 * What a policy replay needs of one settlement, written by the engine in the transaction that
 * settles it, into `settlement_replay_inputs` (clustered by insured region, scheme and time on
 * sqlite3). Why a copy: the same facts are spread over the settlement, its visit, its quote and
 * the visit's bill lines, and reading a year of them back through those four tables costs an index
 * lookup per table and per line, and a row object per line, for each settlement — a replay of a
 * million settlements spent almost all its time there. One row per settlement in replay order, its
 * facts in one JSON array, is read a page at a time as one JSON text.
 *
 * The lines are those the settlement was calculated on; a visit's bill may grow after a
 * settlement of it was cancelled, and the copy does not.
 */
export type ReplayInputLine = [
  itemCode: string,
  unitPrice: number,
  quantity: number,
  itemClass: PricedLine['itemClass'],
  preSelfPayShare: number,
  priceCeiling: number | null,
];

export type ReplayInput = [
  settlementId: string,
  settledAt: string,
  businessDate: string,
  personNo: string,
  policyVersion: number,
  medfee_sumamt: number,
  hifp_pay: number,
  hifmi_pay: number,
  acct_pay: number,
  psn_cash_pay: number,
  visitType: VisitTerms['visitType'],
  hospitalLevel: VisitTerms['hospitalLevel'],
  personGroup: VisitTerms['personGroup'],
  /** 1 when the patient chose to pay from the personal account first. */
  useAccount: 0 | 1,
  /** The personal account's balance the settlement was calculated with. */
  accountBalance: number,
  lines: ReplayInputLine[],
];

export const REPLAY_INPUT_COLUMNS = ['insured_region', 'scheme', 'settled_at', 'settlement_id', 'input'];

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
  lines: readonly PricedLine[];
  breakdown: Pick<Breakdown, 'medfee_sumamt' | 'hifp_pay' | 'hifmi_pay' | 'acct_pay' | 'psn_cash_pay'>;
}

/** The row of `settlement_replay_inputs` for a settlement, in `REPLAY_INPUT_COLUMNS` order. */
export function replayInputRow(s: SettledFacts): (string | number)[] {
  const b = s.breakdown;
  const input: ReplayInput = [
    s.settlementId,
    s.settledAt,
    s.businessDate,
    s.personNo,
    s.policyVersion,
    b.medfee_sumamt,
    b.hifp_pay,
    b.hifmi_pay,
    b.acct_pay,
    b.psn_cash_pay,
    s.terms.visitType,
    s.terms.hospitalLevel,
    s.terms.personGroup,
    s.useAccount ? 1 : 0,
    s.accountBalance,
    s.lines.map((l) => [l.itemCode, l.unitPrice, l.quantity, l.itemClass, l.preSelfPayShare, l.priceCeiling]),
  ];
  return [s.insuredRegion, s.scheme, s.settledAt, s.settlementId, JSON.stringify(input)];
}

export const pricedLine = (l: ReplayInputLine): PricedLine => ({
  itemCode: l[0],
  unitPrice: l[1],
  quantity: l[2],
  itemClass: l[3],
  preSelfPayShare: l[4],
  priceCeiling: l[5],
});
