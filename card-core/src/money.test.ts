import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from './errors.js';
import {
  addFen,
  applyBasisPoints,
  compareFen,
  type Fen,
  fen,
  formatYuan,
  parseYuan,
  subFen,
  sumFen,
} from './money.js';

const MAX = Number.MAX_SAFE_INTEGER;
const safeFen = fc.integer({ min: -1e15, max: 1e15 }).map(fen);

describe('money in fen', () => {
  test('accepts safe integers only', () => {
    assert.equal(fen(1234), 1234);
    assert.ok(Object.is(fen(-0), 0));
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX + 1]) {
      assert.throws(() => fen(bad), ValidationError, String(bad));
    }
  });

  test('parses yuan text without floating point', () => {
    assert.equal(parseYuan('12.34'), 1234);
    assert.equal(parseYuan('12'), 1200);
    assert.equal(parseYuan('12.3'), 1230);
    assert.equal(parseYuan('0.29'), 29);
    assert.equal(parseYuan('-0.05'), -5);
    assert.equal(parseYuan('90071992547409.91'), MAX);
  });

  test('refuses more than two decimals, exponents, signs and separators', () => {
    for (const bad of [
      '12.345',
      '1e3',
      '+1',
      '1,000.00',
      '12.',
      '.5',
      '',
      ' 1',
      '0x10',
      '90071992547409.92',
    ]) {
      assert.throws(() => parseYuan(bad), ValidationError, bad);
    }
  });

  test('formats with two decimals, negative amounts too', () => {
    assert.equal(formatYuan(fen(1234)), '12.34');
    assert.equal(formatYuan(fen(5)), '0.05');
    assert.equal(formatYuan(fen(-5)), '-0.05');
    assert.equal(formatYuan(fen(-1200)), '-12.00');
    assert.equal(formatYuan(fen(0)), '0.00');
  });

  test('round-trips every safe amount through yuan text', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX, max: MAX }), (n) => {
        assert.equal(parseYuan(formatYuan(fen(n))), n);
      }),
    );
  });

  test('adds, subtracts and sums, refusing to leave the safe range', () => {
    assert.equal(addFen(fen(100), fen(-250)), -150);
    assert.equal(subFen(fen(100), fen(250)), -150);
    assert.equal(sumFen([fen(1), fen(2), fen(3)]), 6);
    assert.equal(sumFen([]), 0);
    assert.throws(() => addFen(fen(MAX), fen(1)), ValidationError);
    assert.throws(() => subFen(fen(-MAX), fen(1)), ValidationError);
    assert.throws(() => sumFen([fen(MAX), fen(1), fen(-1)]), ValidationError);
  });

  test('compares amounts for sorting', () => {
    const sorted = [fen(3), fen(-1), fen(2)].sort(compareFen);
    assert.deepEqual(sorted, [-1, 2, 3]);
    assert.equal(compareFen(fen(7), fen(7)), 0);
  });

  test('applies basis points rounding half-up to the fen', () => {
    assert.equal(applyBasisPoints(fen(1000), 8500), 850);
    assert.equal(applyBasisPoints(fen(15), 5000), 8);
    assert.equal(applyBasisPoints(fen(-15), 5000), -8);
    assert.equal(applyBasisPoints(fen(14), 5000), 7);
    assert.equal(applyBasisPoints(fen(1), 4999), 0);
    assert.equal(applyBasisPoints(fen(MAX), 10000), MAX);
    assert.throws(() => applyBasisPoints(fen(MAX), 10001), ValidationError);
    assert.throws(() => applyBasisPoints(fen(100), 12.5), ValidationError);
  });

  test('applies basis points exactly as a BigInt reference does', () => {
    const reference = (amount: Fen, bp: number): bigint => {
      const p = BigInt(amount) * BigInt(bp) * 2n;
      // round(p / 20000) half away from zero, written as floor((|2x| + 10000) / 20000).
      const abs = p < 0n ? -p : p;
      const q = (abs + 10000n) / 20000n;
      return p < 0n ? -q : q;
    };
    fc.assert(
      fc.property(safeFen, fc.integer({ min: 0, max: 10000 }), (amount, bp) => {
        assert.equal(BigInt(applyBasisPoints(amount, bp)), reference(amount, bp));
      }),
    );
  });

  test('splits an amount into parts that add back up exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }).map(fen),
        fc.integer({ min: 0, max: 10000 }),
        (total, bp) => {
          const share = applyBasisPoints(total, bp);
          const rest = subFen(total, share);
          assert.equal(addFen(share, rest), total);
          assert.ok(share >= 0 && share <= total);
        },
      ),
    );
  });
});
