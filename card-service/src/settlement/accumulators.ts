import type { Accumulators } from '@sscard/registry-protocol/settlement';
import { ZERO_ACCUMULATORS } from '@sscard/registry-protocol/settlement';
import type { Queryable } from '../store/store.js';

/**
 * Year-to-date accumulators of a person under a scheme and insured region. Changed only by a
 * confirmed settlement (its delta added) and by its cancellation or reversal (the same delta taken
 * away), in the transaction that records either.
 */
export interface AccumulatorKey {
  personNo: string;
  scheme: string;
  insuredRegion: string;
  year: number;
}

interface Row {
  outpatient_deductible_paid: number | string;
  pooled_fund_used: number | string;
  large_expense_deductible_paid: number | string;
  large_expense_fund_used: number | string;
}

const COLUMNS = [
  'outpatient_deductible_paid',
  'pooled_fund_used',
  'large_expense_deductible_paid',
  'large_expense_fund_used',
] as const;

const values = (a: Accumulators) => [
  a.outpatientDeductiblePaid,
  a.pooledFundUsed,
  a.largeExpenseDeductiblePaid,
  a.largeExpenseFundUsed,
];

const WHERE = 'person_no = ? AND scheme = ? AND insured_region = ? AND year = ?';
const keyParams = (k: AccumulatorKey) => [k.personNo, k.scheme, k.insuredRegion, k.year];

/** Read as committed (or as this transaction wrote it). */
export async function readAccumulators(q: Queryable, k: AccumulatorKey): Promise<Accumulators> {
  const row = await q.get<Row>(
    `SELECT outpatient_deductible_paid, pooled_fund_used, large_expense_deductible_paid, large_expense_fund_used
     FROM settlement_accumulators WHERE ${WHERE}`,
    keyParams(k),
  );
  return row ? fromRow(row) : { ...ZERO_ACCUMULATORS };
}

/** The accumulator columns of table alias `alias`, for a query that reads them with other rows. */
export const accumulatorColumns = (alias: string): string => COLUMNS.map((c) => `${alias}.${c}`).join(', ');

/** The accumulators read by `accumulatorColumns` through an outer join: zero when it found no row. */
export function joinedAccumulators(row: Partial<Record<keyof Row, number | string | null>>): Accumulators {
  return row.outpatient_deductible_paid == null ? { ...ZERO_ACCUMULATORS } : fromRow(row as Row);
}

const fromRow = (row: Row): Accumulators => ({
  outpatientDeductiblePaid: Number(row.outpatient_deductible_paid),
  pooledFundUsed: Number(row.pooled_fund_used),
  largeExpenseDeductiblePaid: Number(row.large_expense_deductible_paid),
  largeExpenseFundUsed: Number(row.large_expense_fund_used),
});

/**
 * Adds `delta` to the row if it still holds `expected` (a row not there yet holds zero), in one
 * statement that locks the row for the rest of the transaction: PostgreSQL waits for a concurrent
 * change of it and checks the row as that change left it. False, and nothing moved, when the row
 * holds something else.
 */
export async function moveAccumulatorsFrom(
  q: Queryable,
  k: AccumulatorKey,
  expected: Accumulators,
  delta: Accumulators,
): Promise<boolean> {
  const e = values(expected);
  const moved = e.every((v) => v === 0)
    ? await q.run(
        `INSERT INTO settlement_accumulators (person_no, scheme, insured_region, year, ${COLUMNS.join(', ')})
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (person_no, scheme, insured_region, year) DO UPDATE SET
           ${COLUMNS.map((c) => `${c} = settlement_accumulators.${c} + excluded.${c}`).join(', ')}
         WHERE ${COLUMNS.map((c) => `settlement_accumulators.${c} = 0`).join(' AND ')}`,
        [...keyParams(k), ...values(delta)],
      )
    : await q.run(
        `UPDATE settlement_accumulators SET ${COLUMNS.map((c) => `${c} = ${c} + ?`).join(', ')}
         WHERE ${WHERE} AND ${COLUMNS.map((c) => `${c} = ?`).join(' AND ')}`,
        [...values(delta), ...keyParams(k), ...e],
      );
  return moved.changes === 1;
}

/** Adds `delta` × `sign` to the row (created at zero when absent). */
export async function moveAccumulators(
  q: Queryable,
  k: AccumulatorKey,
  delta: Accumulators,
  sign: 1 | -1,
): Promise<void> {
  const d = [
    sign * delta.outpatientDeductiblePaid,
    sign * delta.pooledFundUsed,
    sign * delta.largeExpenseDeductiblePaid,
    sign * delta.largeExpenseFundUsed,
  ];
  await q.run(
    `INSERT INTO settlement_accumulators (person_no, scheme, insured_region, year, outpatient_deductible_paid,
       pooled_fund_used, large_expense_deductible_paid, large_expense_fund_used)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (person_no, scheme, insured_region, year) DO UPDATE SET
       outpatient_deductible_paid = settlement_accumulators.outpatient_deductible_paid + excluded.outpatient_deductible_paid,
       pooled_fund_used = settlement_accumulators.pooled_fund_used + excluded.pooled_fund_used,
       large_expense_deductible_paid = settlement_accumulators.large_expense_deductible_paid + excluded.large_expense_deductible_paid,
       large_expense_fund_used = settlement_accumulators.large_expense_fund_used + excluded.large_expense_fund_used`,
    [...keyParams(k), ...d],
  );
}
