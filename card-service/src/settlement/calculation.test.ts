import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  type Accumulators,
  type PolicyParameters,
  type PricedLine,
  type VisitTerms,
  accumulatorsSchema,
  breakdownSchema,
  policyDraftSchema,
  pricedLineSchema,
} from '@sscard/registry-protocol/settlement';
import fc from 'fast-check';
import {
  type CalculationInput,
  accumulatorDelta,
  applyDelta,
  calculate,
  identitiesHold,
  largestBaseWithin,
} from './calculation.js';

const examples = new URL('../../docs/settlement-examples/', import.meta.url);
const json = (name: string): unknown => JSON.parse(readFileSync(new URL(name, examples), 'utf8'));
const policy = policyDraftSchema.parse(json('policy-330300-310-2026.json'));
const bill = (name: string): PricedLine[] =>
  (json(name) as { lines: unknown[] }).lines.map((l) => pricedLineSchema.parse(l));

describe('settlement calculation: the worked examples of docs/settlement.md', () => {
  it('outpatient, deductible partly used, class A/B/C with price ceilings, an account too small', () => {
    const b = calculate({
      parameters: policy.parameters,
      accumulators: accumulatorsSchema.parse(json('outpatient-accumulators.json')),
      terms: { visitType: 'outpatient', hospitalLevel: 2, personGroup: 'in_service' },
      lines: bill('outpatient-bill.json'),
      account: { balance: 12000, use: true },
    });
    assert.deepEqual(
      b.lines.map((l) => [
        l.det_item_fee_sumamt,
        l.fulamt_ownpay_amt,
        l.overlmt_selfpay,
        l.preselfpay_amt,
        l.inscp_scp_amt,
      ]),
      [
        [5000, 0, 1000, 0, 4000],
        // 33333 × 15 % = 4999.95, half-up to 5000
        [33333, 0, 0, 5000, 28333],
        [7797, 0, 597, 1440, 5760],
        [9160, 9160, 0, 0, 0],
      ],
    );
    const { lines: _lines, ...totals } = b;
    assert.deepEqual(totals, {
      medfee_sumamt: 55290,
      fulamt_ownpay_amt: 9160,
      overlmt_selfpay: 1597,
      preselfpay_amt: 6440,
      inscp_scp_amt: 38093,
      act_pay_dedc: 30000,
      // 8093 × 60 % = 4855.8
      hifp_pay: 4856,
      hifmi_pay: 0,
      fund_pay_sumamt: 4856,
      psn_part_amt: 50434,
      acct_pay: 12000,
      psn_cash_pay: 38434,
      balc: 0,
      accumulators: {
        outpatientDeductiblePaid: 80000,
        pooledFundUsed: 1204856,
        largeExpenseDeductiblePaid: 0,
        largeExpenseFundUsed: 0,
      },
    });
    assert.ok(identitiesHold(b));
    breakdownSchema.parse(b);
  });

  it('inpatient over the pooled ceiling into the large-expense fund', () => {
    const b = calculate({
      parameters: policy.parameters,
      accumulators: accumulatorsSchema.parse(json('inpatient-accumulators.json')),
      terms: { visitType: 'inpatient', hospitalLevel: 3, personGroup: 'retired' },
      lines: bill('inpatient-bill.json'),
      account: { balance: 1500000, use: true },
    });
    const { lines: _lines, ...totals } = b;
    assert.deepEqual(totals, {
      medfee_sumamt: 2455000,
      fulamt_ownpay_amt: 35000,
      overlmt_selfpay: 220000,
      preselfpay_amt: 180000,
      inscp_scp_amt: 2020000,
      act_pay_dedc: 90000,
      // room 500000: base 588235 pays 499999.75 → 500000; base 588236 would pay 500001
      hifp_pay: 500000,
      // (1930000 − 588235 − 300000 still due of its deductible) × 85 % = 885500.25
      hifmi_pay: 885500,
      fund_pay_sumamt: 1385500,
      psn_part_amt: 1069500,
      acct_pay: 1069500,
      psn_cash_pay: 0,
      balc: 430500,
      accumulators: {
        outpatientDeductiblePaid: 0,
        pooledFundUsed: 20000000,
        largeExpenseDeductiblePaid: 500000,
        largeExpenseFundUsed: 885500,
      },
    });
    assert.ok(identitiesHold(b));
  });
});

describe('settlement calculation: hand-computed cases', () => {
  const flat: PolicyParameters = {
    outpatientDeductible: { '1': 10000, '2': 10000, '3': 10000 },
    inpatientDeductible: { '1': 50000, '2': 50000, '3': 50000 },
    ratios: {
      outpatient: {
        '1': { in_service: 5000, retired: 5000 },
        '2': { in_service: 5000, retired: 5000 },
        '3': { in_service: 5000, retired: 5000 },
      },
      inpatient: {
        '1': { in_service: 9000, retired: 9000 },
        '2': { in_service: 9000, retired: 9000 },
        '3': { in_service: 9000, retired: 9000 },
      },
    },
    pooledFundCeiling: 1_000_000,
    largeExpenseFund: null,
  };
  const line = (unitPrice: number, quantity = 1, more: Partial<PricedLine> = {}): PricedLine => ({
    itemCode: 'I',
    itemClass: 'A',
    preSelfPayShare: 0,
    priceCeiling: null,
    unitPrice,
    quantity,
    ...more,
  });
  const run = (over: Partial<CalculationInput>) =>
    calculate({
      parameters: flat,
      accumulators: {
        outpatientDeductiblePaid: 0,
        pooledFundUsed: 0,
        largeExpenseDeductiblePaid: 0,
        largeExpenseFundUsed: 0,
      },
      terms: { visitType: 'outpatient', hospitalLevel: 1, personGroup: 'in_service' },
      lines: [line(30000)],
      account: { balance: 0, use: false },
      ...over,
    });

  it('an outpatient deductible already paid in full is not charged again', () => {
    const b = run({
      accumulators: {
        outpatientDeductiblePaid: 10000,
        pooledFundUsed: 0,
        largeExpenseDeductiblePaid: 0,
        largeExpenseFundUsed: 0,
      },
    });
    assert.equal(b.act_pay_dedc, 0);
    assert.equal(b.hifp_pay, 15000);
  });

  it('the inpatient deductible is charged afresh for each admission, whatever was paid before', () => {
    const b = run({
      terms: { visitType: 'inpatient', hospitalLevel: 1, personGroup: 'in_service' },
      accumulators: {
        outpatientDeductiblePaid: 10000,
        pooledFundUsed: 0,
        largeExpenseDeductiblePaid: 0,
        largeExpenseFundUsed: 0,
      },
      lines: [line(80000)],
    });
    assert.equal(b.act_pay_dedc, 50000);
    assert.equal(b.hifp_pay, 27000);
    assert.equal(b.accumulators.outpatientDeductiblePaid, 10000, 'inpatient deductibles are not accumulated');
  });

  it('a bill below the deductible: the funds pay nothing, the deductible is what was eligible', () => {
    const b = run({ lines: [line(4000)] });
    assert.equal(b.act_pay_dedc, 4000);
    assert.equal(b.fund_pay_sumamt, 0);
    assert.equal(b.accumulators.outpatientDeductiblePaid, 4000);
  });

  it('the price ceiling applies only to a price strictly above it', () => {
    assert.equal(run({ lines: [line(1000, 3, { priceCeiling: 1000 })] }).overlmt_selfpay, 0);
    assert.equal(run({ lines: [line(1001, 3, { priceCeiling: 1000 })] }).overlmt_selfpay, 3);
  });

  it('a class C item is all self-paid, whatever its ceiling', () => {
    const b = run({ lines: [line(5000, 2, { itemClass: 'C', priceCeiling: 100 })] });
    assert.equal(b.fulamt_ownpay_amt, 10000);
    assert.equal(b.overlmt_selfpay, 0);
    assert.equal(b.inscp_scp_amt, 0);
  });

  it("class B's pre-self-pay is rounded per line, half-up", () => {
    // 5 × 10 % = 0.5 → 1 on each line
    const b = run({
      lines: [
        line(5, 1, { itemClass: 'B', preSelfPayShare: 1000 }),
        line(5, 1, { itemClass: 'B', preSelfPayShare: 1000 }),
      ],
    });
    assert.equal(b.preselfpay_amt, 2);
    assert.equal(b.inscp_scp_amt, 8);
  });

  it("with the pooled ceiling reached and no large-expense fund, the rest is the person's", () => {
    const b = run({
      accumulators: {
        outpatientDeductiblePaid: 10000,
        pooledFundUsed: 999_990,
        largeExpenseDeductiblePaid: 0,
        largeExpenseFundUsed: 0,
      },
      lines: [line(1000)],
    });
    assert.equal(b.hifp_pay, 10);
    assert.equal(b.hifmi_pay, 0);
    assert.equal(b.psn_part_amt, 990);
    assert.equal(b.accumulators.pooledFundUsed, 1_000_000);
  });

  it('the personal account pays only when chosen, and never more than its balance', () => {
    assert.equal(run({ account: { balance: 100000, use: false } }).acct_pay, 0);
    const b = run({ account: { balance: 100000, use: true } });
    assert.equal(b.acct_pay, b.psn_part_amt);
    assert.equal(b.psn_cash_pay, 0);
    assert.equal(b.balc, 100000 - b.psn_part_amt);
  });

  it('the largest base: its half-up payment fits, one fen more does not', () => {
    for (const [rest, ratio, room] of [
      [1_930_000, 8500, 500_000],
      [100, 10_000, 0],
      [100, 5000, 0],
      [7, 3333, 2],
    ] as const) {
      const b = largestBaseWithin(rest, ratio, room);
      const pay = (x: number) => Math.floor((x * ratio + 5000) / 10000);
      assert.ok(pay(b) <= room);
      if (b < rest) assert.ok(pay(b + 1) > room);
    }
    // with no room left not even one fen of base fits at 50 %: 1 × 50 % = 0.5 rounds up to 1
    assert.equal(largestBaseWithin(100, 5000, 0), 0);
  });
});

const levels = [1, 2, 3] as const;
const bp = fc.integer({ min: 0, max: 10_000 });
const money = (max: number) => fc.integer({ min: 0, max });
const byLevel = <T>(a: fc.Arbitrary<T>) =>
  fc.record({ '1': a, '2': a, '3': a }) as fc.Arbitrary<{ '1': T; '2': T; '3': T }>;
const parametersArb: fc.Arbitrary<PolicyParameters> = fc.record({
  outpatientDeductible: byLevel(money(300_000)),
  inpatientDeductible: byLevel(money(300_000)),
  ratios: fc.record({
    outpatient: byLevel(fc.record({ in_service: bp, retired: bp })),
    inpatient: byLevel(fc.record({ in_service: bp, retired: bp })),
  }),
  pooledFundCeiling: money(5_000_000),
  largeExpenseFund: fc.option(
    fc.record({
      deductible: money(500_000),
      ratio: bp,
      ceiling: fc.option(money(10_000_000), { nil: null }),
    }),
    { nil: null },
  ),
});
const accumulatorsArb: fc.Arbitrary<Accumulators> = fc.record({
  outpatientDeductiblePaid: money(400_000),
  pooledFundUsed: money(6_000_000),
  largeExpenseDeductiblePaid: money(600_000),
  largeExpenseFundUsed: money(12_000_000),
});
const termsArb: fc.Arbitrary<VisitTerms> = fc.record({
  visitType: fc.constantFrom('outpatient', 'inpatient'),
  hospitalLevel: fc.constantFrom(...levels),
  personGroup: fc.constantFrom('in_service', 'retired'),
});
const lineArb: fc.Arbitrary<PricedLine> = fc
  .record({
    itemCode: fc.constantFrom('A1', 'B2', 'C3'),
    itemClass: fc.constantFrom('A', 'B', 'C'),
    preSelfPayShare: bp,
    priceCeiling: fc.option(money(200_000), { nil: null }),
    unitPrice: money(1_000_000),
    quantity: fc.integer({ min: 1, max: 50 }),
  })
  .map((l) => ({ ...l, preSelfPayShare: l.itemClass === 'B' ? l.preSelfPayShare : 0 }));
const inputArb: fc.Arbitrary<CalculationInput> = fc.record({
  parameters: parametersArb,
  accumulators: accumulatorsArb,
  terms: termsArb,
  lines: fc.array(lineArb, { minLength: 1, maxLength: 8 }),
  account: fc.record({ balance: money(3_000_000), use: fc.boolean() }),
});

describe('settlement calculation: properties', () => {
  it('both identities hold and no amount is negative, for every input', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const b = calculate(input);
        assert.ok(identitiesHold(b), JSON.stringify(b));
        breakdownSchema.parse(b);
        assert.equal(b.psn_part_amt, b.acct_pay + b.psn_cash_pay);
        assert.equal(b.fund_pay_sumamt, b.hifp_pay + b.hifmi_pay);
        for (const l of b.lines) {
          assert.equal(
            l.det_item_fee_sumamt,
            l.fulamt_ownpay_amt + l.overlmt_selfpay + l.preselfpay_amt + l.inscp_scp_amt,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the funds never pass their ceilings', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const b = calculate(input);
        const p = input.parameters;
        const a = input.accumulators;
        assert.ok(b.hifp_pay <= Math.max(0, p.pooledFundCeiling - a.pooledFundUsed));
        assert.ok(b.accumulators.pooledFundUsed <= Math.max(p.pooledFundCeiling, a.pooledFundUsed));
        const lf = p.largeExpenseFund;
        if (lf === null) assert.equal(b.hifmi_pay, 0);
        else if (lf.ceiling !== null) {
          assert.ok(b.accumulators.largeExpenseFundUsed <= Math.max(lf.ceiling, a.largeExpenseFundUsed));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('more cost never lowers the personal part', () => {
    fc.assert(
      fc.property(
        inputArb,
        lineArb,
        fc.nat({ max: 7 }),
        fc.integer({ min: 1, max: 20 }),
        (input, extra, pick, more) => {
          const base = calculate(input).psn_part_amt;
          const added = calculate({ ...input, lines: [...input.lines, extra] }).psn_part_amt;
          assert.ok(added >= base, `adding a line: ${added} < ${base}`);
          const i = pick % input.lines.length;
          const bigger = input.lines.map((l, j) => (j === i ? { ...l, quantity: l.quantity + more } : l));
          assert.ok(calculate({ ...input, lines: bigger }).psn_part_amt >= base, 'more of an item');
          const dearer = input.lines.map((l, j) => (j === i ? { ...l, unitPrice: l.unitPrice + more } : l));
          assert.ok(calculate({ ...input, lines: dearer }).psn_part_amt >= base, 'a dearer item');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a settlement's delta taken back restores the accumulators exactly, also after later ones", () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.array(fc.tuple(termsArb, fc.array(lineArb, { minLength: 1, maxLength: 4 })), { maxLength: 4 }),
        (input, later) => {
          // fast-check's records have no prototype; the calculation's do.
          const before = { ...input.accumulators };
          const first = calculate(input);
          const delta = accumulatorDelta(before, first.accumulators);
          for (const v of Object.values(delta)) assert.ok(v >= 0);
          assert.deepEqual(applyDelta(first.accumulators, delta, -1), before);
          // Later settlements advance from where the first left them; taking the first back leaves
          // exactly the later ones' deltas on top of where it started.
          let acc = first.accumulators;
          const laterDeltas: Accumulators[] = [];
          for (const [terms, lines] of later) {
            const next = calculate({ ...input, terms, lines, accumulators: acc }).accumulators;
            laterDeltas.push(accumulatorDelta(acc, next));
            acc = next;
          }
          const expected = laterDeltas.reduce((a, d) => applyDelta(a, d, 1), before);
          assert.deepEqual(applyDelta(acc, delta, -1), expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
