import { PERSON_GROUPS, VISIT_TYPES } from '@sscard/registry-protocol/settlement';
import type { Dialect } from './store.js';

/** The columns of `settlement_replay_inputs`, in the order its rows are written. */
export const REPLAY_INPUT_COLUMNS = [
  'insured_region',
  'scheme',
  'settled_at',
  'settlement_id',
  'person_no',
  'input',
];

/**
 * The rows of `settlement_replay_inputs` (settlement/replay-inputs.ts) for settlements already
 * recorded, as the settlement engine writes them with each settlement (the what-if test compares
 * the two): built from the settlement, its visit and its quote. The bill's step-1 sums come from
 * the settlement's recorded breakdown, which holds exactly the sums it was calculated on, also for
 * a settlement cancelled before its visit got more lines. Migration 29 filled the table with it,
 * when the rows changed from bill lines to their sums and got the person beside them.
 */
export function replayInputsBackfill(dialect: Dialect): string {
  const [array, sum, day, asText] =
    dialect === 'postgres'
      ? [
          'json_build_array',
          (f: string) => `(s.breakdown::json ->> '${f}')::bigint`,
          "replace(s.business_date, '-', '')::integer",
          '::text',
        ]
      : [
          'json_array',
          (f: string) => `json_extract(s.breakdown, '$.${f}')`,
          "CAST(replace(s.business_date, '-', '') AS INTEGER)",
          '',
        ];
  const index = (column: string, values: readonly string[]) =>
    `CASE ${column} ${values.map((v, i) => `WHEN '${v}' THEN ${i}`).join(' ')} END`;
  return `SELECT s.insured_region, s.scheme, s.settled_at, s.settlement_id, s.person_no,
    ${array}(s.settlement_id, s.settled_at, ${day}, s.person_no, s.policy_version, s.medfee_sumamt,
      s.hifp_pay, s.hifmi_pay, s.acct_pay, s.psn_cash_pay, ${index('v.visit_type', VISIT_TYPES)},
      v.hospital_level, ${index('v.person_group', PERSON_GROUPS)},
      q.use_account, q.account_balance, ${sum('fulamt_ownpay_amt')}, ${sum('overlmt_selfpay')},
      ${sum('preselfpay_amt')}, ${sum('inscp_scp_amt')})${asText} AS input
    FROM settlements s
    JOIN settlement_visits v ON v.visit_id = s.visit_id
    JOIN settlement_quotes q ON q.quote_id = s.quote_id`;
}
