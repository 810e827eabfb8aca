import { insertRows } from '@sscard/card-service/store/bulk-insert';
import type { Queryable, SqlValue } from '@sscard/card-service/store/store';

/**
 * A synthetic settlement with the visit it settles, written straight into `settlement_visits` and
 * `settlements` for a benchmark's data. One record feeds both rows, so a visit and its settlement
 * cannot disagree on the card, the person, the regions or the instant. Numbers for BIGINT columns
 * may come as strings or numbers, whichever the benchmark has always written.
 */
export interface SyntheticSettlement {
  settlementId: string;
  visitId: string;
  quoteId: string;
  attemptKey: string;
  terminalId: string;
  institutionId: string;
  cardNumber: string;
  personNo: string;
  scheme: string;
  insuredRegion: string;
  treatmentRegion: string;
  personGroup: string;
  visitType: string;
  hospitalLevel: SqlValue;
  hisVisitNo: string;
  /** When the visit was registered and the settlement made: one instant for both. */
  at: string;
  businessDate: string;
  policyYear: SqlValue;
  policyVersion: SqlValue;
  /** JSON text. */
  breakdown: string;
  /** JSON text. */
  accumulatorsDelta: string;
  medfeeSumamt: SqlValue;
  hifpPay: SqlValue;
  hifmiPay: SqlValue;
  acctPay: SqlValue;
  psnCashPay: SqlValue;
}

const VISIT_COLUMNS = [
  'visit_id',
  'terminal_id',
  'institution_id',
  'treatment_region',
  'card_number',
  'person_no',
  'scheme',
  'insured_region',
  'person_group',
  'visit_type',
  'hospital_level:BIGINT',
  'his_visit_no',
  'registered_at',
] as const;

const SETTLEMENT_COLUMNS = [
  'settlement_id',
  'visit_id',
  'quote_id',
  'terminal_id',
  'attempt_key',
  'institution_id',
  'card_number',
  'person_no',
  'scheme',
  'insured_region',
  'treatment_region',
  'policy_year:BIGINT',
  'policy_version:BIGINT',
  'settled_at',
  'business_date',
  'breakdown',
  'accumulators_delta',
  'medfee_sumamt:BIGINT',
  'hifp_pay:BIGINT',
  'hifmi_pay:BIGINT',
  'acct_pay:BIGINT',
  'psn_cash_pay:BIGINT',
] as const;

const visitRow = (s: SyntheticSettlement): SqlValue[] => [
  s.visitId,
  s.terminalId,
  s.institutionId,
  s.treatmentRegion,
  s.cardNumber,
  s.personNo,
  s.scheme,
  s.insuredRegion,
  s.personGroup,
  s.visitType,
  s.hospitalLevel,
  s.hisVisitNo,
  s.at,
];

const settlementRow = (s: SyntheticSettlement): SqlValue[] => [
  s.settlementId,
  s.visitId,
  s.quoteId,
  s.terminalId,
  s.attemptKey,
  s.institutionId,
  s.cardNumber,
  s.personNo,
  s.scheme,
  s.insuredRegion,
  s.treatmentRegion,
  s.policyYear,
  s.policyVersion,
  s.at,
  s.businessDate,
  s.breakdown,
  s.accumulatorsDelta,
  s.medfeeSumamt,
  s.hifpPay,
  s.hifmiPay,
  s.acctPay,
  s.psnCashPay,
];

/** The visits of the settlements, one `settlement_visits` row each. */
export async function insertSyntheticVisits(
  tx: Queryable,
  settlements: readonly SyntheticSettlement[],
): Promise<void> {
  await insertRows(tx, 'settlement_visits', VISIT_COLUMNS, settlements.map(visitRow));
}

/** The settlements themselves, one `settlements` row each; their visits go in first. */
export async function insertSyntheticSettlements(
  tx: Queryable,
  settlements: readonly SyntheticSettlement[],
): Promise<void> {
  await insertRows(tx, 'settlements', SETTLEMENT_COLUMNS, settlements.map(settlementRow));
}
