import { z } from 'zod';
import { accumulatorsSchema, fenAmount } from './policy.js';

/**
 * The result of a settlement calculation, with the national medical insurance interface's field
 * names so that HIS developers recognise it. For every breakdown:
 *   medfee_sumamt = fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt
 *   medfee_sumamt = hifp_pay + hifmi_pay + acct_pay + psn_cash_pay
 */
export const lineSplitSchema = z.strictObject({
  itemCode: z.string(),
  /** unit price × quantity */
  det_item_fee_sumamt: fenAmount,
  /** class C: all of it */
  fulamt_ownpay_amt: fenAmount,
  /** above the price ceiling: (unit price − ceiling) × quantity */
  overlmt_selfpay: fenAmount,
  /** class B: half-up(capped × share) */
  preselfpay_amt: fenAmount,
  /** what the funds look at */
  inscp_scp_amt: fenAmount,
});
export type LineSplit = z.infer<typeof lineSplitSchema>;

export const breakdownSchema = z.strictObject({
  medfee_sumamt: fenAmount,
  fulamt_ownpay_amt: fenAmount,
  overlmt_selfpay: fenAmount,
  preselfpay_amt: fenAmount,
  inscp_scp_amt: fenAmount,
  /** the deductible charged by this settlement */
  act_pay_dedc: fenAmount,
  /** pooled fund */
  hifp_pay: fenAmount,
  /** large-expense fund */
  hifmi_pay: fenAmount,
  fund_pay_sumamt: fenAmount,
  /** medfee_sumamt − fund_pay_sumamt */
  psn_part_amt: fenAmount,
  /** personal medical account */
  acct_pay: fenAmount,
  psn_cash_pay: fenAmount,
  /** the personal account's balance after */
  balc: fenAmount,
  lines: z.array(lineSplitSchema),
  /** year-to-date amounts as they stand once this settlement is confirmed */
  accumulators: accumulatorsSchema,
});
export type Breakdown = z.infer<typeof breakdownSchema>;
