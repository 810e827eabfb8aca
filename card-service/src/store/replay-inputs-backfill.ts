import type { Dialect } from './store.js';

/**
 * Migration 25's backfill of `settlement_replay_inputs`, kept with the store's migrations: the
 * row the settlement engine writes with each settlement (settlement/replay-inputs.ts; the what-if
 * test compares the two), for the settlements recorded before the table existed, built from the
 * settlement, its visit, quote and bill lines as they are now. A cancelled settlement's visit may
 * have got more lines since; the replay finds the lines it was calculated on among them again by its recorded
 * breakdown (`settlement-replay.ts`).
 */
export function replayInputsBackfill(dialect: Dialect): string {
  const [array, lines, asText] =
    dialect === 'postgres'
      ? [
          'json_build_array',
          `(SELECT json_agg(json_build_array(l.item_code, l.unit_price, l.quantity, l.item_class,
              l.pre_self_pay_share, l.price_ceiling) ORDER BY l.line_no)
            FROM settlement_bill_lines l WHERE l.visit_id = s.visit_id)`,
          '::text',
        ]
      : [
          'json_array',
          `json((SELECT json_group_array(json_array(l.item_code, l.unit_price, l.quantity, l.item_class,
              l.pre_self_pay_share, l.price_ceiling) ORDER BY l.line_no)
            FROM settlement_bill_lines l WHERE l.visit_id = s.visit_id))`,
          '',
        ];
  return `SELECT s.insured_region, s.scheme, s.settled_at, s.settlement_id,
    ${array}(s.settlement_id, s.settled_at, s.business_date, s.person_no, s.policy_version, s.medfee_sumamt,
      s.hifp_pay, s.hifmi_pay, s.acct_pay, s.psn_cash_pay, v.visit_type, v.hospital_level, v.person_group,
      q.use_account, q.account_balance, ${lines})${asText} AS input
    FROM settlements s
    JOIN settlement_visits v ON v.visit_id = s.visit_id
    JOIN settlement_quotes q ON q.quote_id = s.quote_id`;
}
