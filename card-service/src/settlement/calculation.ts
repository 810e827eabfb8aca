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

export function calculate(input: CalculationInput): Breakdown {
  const { parameters: p, accumulators: acc, terms, account } = input;
  if (input.lines.length === 0) throw new CalculationError('BILL_EMPTY', 'a bill has at least one line');
  fen(account.balance);
  const level = String(terms.hospitalLevel) as '1' | '2' | '3';

  // Step 1.
  const lines = input.lines.map(splitLine);
  const sum = (f: (l: LineSplit) => number) => lines.reduce((s, l) => fen(s + f(l)), 0);
  const total = sum((l) => l.det_item_fee_sumamt);
  const eligible = sum((l) => l.inscp_scp_amt);

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
    fulamt_ownpay_amt: sum((l) => l.fulamt_ownpay_amt),
    overlmt_selfpay: sum((l) => l.overlmt_selfpay),
    preselfpay_amt: sum((l) => l.preselfpay_amt),
    inscp_scp_amt: eligible,
    act_pay_dedc: deductible,
    hifp_pay: pooled,
    hifmi_pay: large,
    fund_pay_sumamt: funds,
    psn_part_amt: personal,
    acct_pay: fromAccount,
    psn_cash_pay: personal - fromAccount,
    balc: account.balance - fromAccount,
    lines,
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
