import { type Fen, applyBasisPoints, fen } from '@sscard/card-core';
import type {
  Accumulators,
  Breakdown,
  LineSplit,
  PolicyParameters,
  PricedLine,
  VisitTerms,
} from '@sscard/registry-protocol/settlement';

/**
 * The settlement calculation: policy, year-to-date accumulators and a priced bill in, the
 * breakdown out. Pure and synchronous, so the engine, the `settlement quote` command and a policy
 * replay get the same answer from the same input, to the fen.
 *
 * Exactly three kinds of rounding happen, all half-up to the fen through `applyBasisPoints`
 * (`(a·r + 5000) div 10000`): a class B line's pre-self-pay, the pooled fund's payment and the
 * large-expense fund's payment. Everything else is exact integer arithmetic. The steps are those
 * of card-service's docs/settlement.md.
 */
export interface CalculationInput {
  parameters: PolicyParameters;
  accumulators: Accumulators;
  terms: VisitTerms;
  lines: readonly PricedLine[];
  account: {
    balance: number;
    /** The patient chose to pay the personal part from the personal account first. */
    use: boolean;
  };
}

export class CalculationError extends Error {
  constructor(
    readonly code: 'BILL_EMPTY' | 'AMOUNT_INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'CalculationError';
  }
}

const min = Math.min;
const max0 = (a: number): number => Math.max(a, 0);

/** Money arithmetic stays exact only inside the safe range; a product beyond it is refused. */
function mul(a: number, b: number): number {
  const p = BigInt(a) * BigInt(b);
  if (p > BigInt(Number.MAX_SAFE_INTEGER))
    throw new CalculationError('AMOUNT_INVALID', 'an amount is too large');
  return Number(p);
}

const halfUp = (amount: number, bp: number): number => applyBasisPoints(amount as Fen, bp);

/** Step 1: one line's split by class and price ceiling. */
export function splitLine(line: PricedLine): LineSplit {
  const total = mul(line.unitPrice, line.quantity);
  const split: LineSplit = {
    itemCode: line.itemCode,
    det_item_fee_sumamt: total,
    fulamt_ownpay_amt: 0,
    overlmt_selfpay: 0,
    preselfpay_amt: 0,
    inscp_scp_amt: 0,
  };
  if (line.itemClass === 'C') {
    split.fulamt_ownpay_amt = total;
    return split;
  }
  const over = line.priceCeiling !== null && line.unitPrice > line.priceCeiling;
  const capped = over ? mul(line.priceCeiling!, line.quantity) : total;
  split.overlmt_selfpay = total - capped;
  split.preselfpay_amt = line.itemClass === 'B' ? halfUp(capped, line.preSelfPayShare) : 0;
  split.inscp_scp_amt = capped - split.preselfpay_amt;
  return split;
}

/**
 * The largest base b ≤ `rest` whose payment half-up(b × ratio) does not exceed `room`:
 * (b·r + 5000) div 10000 ≤ room ⇔ b·r ≤ (room + 1)·10000 − 5001.
 */
export function largestBaseWithin(rest: number, ratio: number, room: number): number {
  if (ratio === 0) return rest;
  const limit = (BigInt(room) + 1n) * 10_000n - 5001n;
  const base = limit < 0n ? 0n : limit / BigInt(ratio);
  return base < BigInt(rest) ? Number(base) : rest;
}

/**
 * Step 1's sums over a bill: all that steps 2–7 take of it. They depend on the bill and the
 * catalogue's terms on its lines, never on the policy, so a policy replay starts from a
 * settlement's recorded sums (settlement/replay-inputs.ts) instead of splitting its lines again.
 */
export interface BillSums {
  medfee_sumamt: number;
  fulamt_ownpay_amt: number;
  overlmt_selfpay: number;
  preselfpay_amt: number;
  inscp_scp_amt: number;
}

/** A breakdown without its per-line split: what steps 2–7 make of a bill's sums. */
export type SettlementAmounts = Omit<Breakdown, 'lines'>;

export interface AmountsInput extends Omit<CalculationInput, 'lines'> {
  bill: BillSums;
}

/** Step 1 over a whole bill: each line's split and their sums. */
export function splitBill(bill: readonly PricedLine[]): { lines: LineSplit[]; sums: BillSums } {
  if (bill.length === 0) throw new CalculationError('BILL_EMPTY', 'a bill has at least one line');
  const lines = bill.map(splitLine);
  const sum = (f: (l: LineSplit) => number) => lines.reduce((s, l) => fen(s + f(l)), 0);
  return {
    lines,
    sums: {
      medfee_sumamt: sum((l) => l.det_item_fee_sumamt),
      fulamt_ownpay_amt: sum((l) => l.fulamt_ownpay_amt),
      overlmt_selfpay: sum((l) => l.overlmt_selfpay),
      preselfpay_amt: sum((l) => l.preselfpay_amt),
      inscp_scp_amt: sum((l) => l.inscp_scp_amt),
    },
  };
}

/** Steps 2–7 on a bill's sums. */
export function calculateAmounts(input: AmountsInput): SettlementAmounts {
  const { parameters: p, accumulators: acc, terms, account, bill } = input;
  fen(account.balance);
  const level = String(terms.hospitalLevel) as '1' | '2' | '3';
  const total = bill.medfee_sumamt;
  const eligible = bill.inscp_scp_amt;

  // Step 2: the deductible, against the eligible amount only.
  const deductibleDue =
    terms.visitType === 'outpatient'
      ? max0(p.outpatientDeductible[level] - acc.outpatientDeductiblePaid)
      : p.inpatientDeductible[level];
  const deductible = min(deductibleDue, eligible);
  const rest = eligible - deductible;

  // Step 3: the pooled fund, within its yearly ceiling's remaining room.
  const ratio = p.ratios[terms.visitType][level][terms.personGroup];
  const room = max0(p.pooledFundCeiling - acc.pooledFundUsed);
  const pooledBase = largestBaseWithin(rest, ratio, room);
  const pooled = halfUp(pooledBase, ratio);
  const beyondCeiling = rest - pooledBase;

  // Step 4: the large-expense fund takes what the pooled fund's ceiling left.
  let largeDeductible = 0;
  let large = 0;
  const lf = p.largeExpenseFund;
  if (lf !== null && beyondCeiling > 0) {
    largeDeductible = min(max0(lf.deductible - acc.largeExpenseDeductiblePaid), beyondCeiling);
    large = halfUp(beyondCeiling - largeDeductible, lf.ratio);
    if (lf.ceiling !== null) large = min(large, max0(lf.ceiling - acc.largeExpenseFundUsed));
  }

  // Step 5: the personal part, from the account first when the patient chose so.
  const funds = pooled + large;
  const personal = total - funds;
  const fromAccount = account.use ? min(personal, account.balance) : 0;

  return {
    medfee_sumamt: total,
    fulamt_ownpay_amt: bill.fulamt_ownpay_amt,
    overlmt_selfpay: bill.overlmt_selfpay,
    preselfpay_amt: bill.preselfpay_amt,
    inscp_scp_amt: eligible,
    act_pay_dedc: deductible,
    hifp_pay: pooled,
    hifmi_pay: large,
    fund_pay_sumamt: funds,
    psn_part_amt: personal,
    acct_pay: fromAccount,
    psn_cash_pay: personal - fromAccount,
    balc: account.balance - fromAccount,
    // Step 7: what the accumulators become once this settlement is confirmed.
    accumulators: {
      outpatientDeductiblePaid:
        acc.outpatientDeductiblePaid + (terms.visitType === 'outpatient' ? deductible : 0),
      pooledFundUsed: acc.pooledFundUsed + pooled,
      largeExpenseDeductiblePaid: acc.largeExpenseDeductiblePaid + largeDeductible,
      largeExpenseFundUsed: acc.largeExpenseFundUsed + large,
    },
  };
}

export function calculate(input: CalculationInput): Breakdown {
  const { lines, sums } = splitBill(input.lines);
  const a = calculateAmounts({
    parameters: input.parameters,
    accumulators: input.accumulators,
    terms: input.terms,
    account: input.account,
    bill: sums,
  });
  // Field by field, so that the per-line split sits before the accumulators, where stored
  // breakdowns have always had it.
  return {
    medfee_sumamt: a.medfee_sumamt,
    fulamt_ownpay_amt: a.fulamt_ownpay_amt,
    overlmt_selfpay: a.overlmt_selfpay,
    preselfpay_amt: a.preselfpay_amt,
    inscp_scp_amt: a.inscp_scp_amt,
    act_pay_dedc: a.act_pay_dedc,
    hifp_pay: a.hifp_pay,
    hifmi_pay: a.hifmi_pay,
    fund_pay_sumamt: a.fund_pay_sumamt,
    psn_part_amt: a.psn_part_amt,
    acct_pay: a.acct_pay,
    psn_cash_pay: a.psn_cash_pay,
    balc: a.balc,
    lines,
    accumulators: a.accumulators,
  };
}

/** The change a confirmed settlement made to the accumulators, taken back exactly by a cancel. */
export function accumulatorDelta(before: Accumulators, after: Accumulators): Accumulators {
  return {
    outpatientDeductiblePaid: after.outpatientDeductiblePaid - before.outpatientDeductiblePaid,
    pooledFundUsed: after.pooledFundUsed - before.pooledFundUsed,
    largeExpenseDeductiblePaid: after.largeExpenseDeductiblePaid - before.largeExpenseDeductiblePaid,
    largeExpenseFundUsed: after.largeExpenseFundUsed - before.largeExpenseFundUsed,
  };
}

export function applyDelta(acc: Accumulators, delta: Accumulators, sign: 1 | -1): Accumulators {
  return {
    outpatientDeductiblePaid: acc.outpatientDeductiblePaid + sign * delta.outpatientDeductiblePaid,
    pooledFundUsed: acc.pooledFundUsed + sign * delta.pooledFundUsed,
    largeExpenseDeductiblePaid: acc.largeExpenseDeductiblePaid + sign * delta.largeExpenseDeductiblePaid,
    largeExpenseFundUsed: acc.largeExpenseFundUsed + sign * delta.largeExpenseFundUsed,
  };
}

/** Both identities of DESIGN.md §3; a breakdown that fails them is a bug, never sent or stored. */
export function identitiesHold(b: Breakdown): boolean {
  return (
    b.medfee_sumamt === b.fulamt_ownpay_amt + b.overlmt_selfpay + b.preselfpay_amt + b.inscp_scp_amt &&
    b.medfee_sumamt === b.hifp_pay + b.hifmi_pay + b.acct_pay + b.psn_cash_pay
  );
}
