import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Settlement } from '@sscard/registry-protocol/settlement';
import { tempDir } from '@sscard/test-harness';
import { compareWithService, daySettlements, pendingItems } from './desk-journal.js';
import { SETTLEMENT_OPERATIONS, SETTLEMENT_OPERATION_NAMES } from './desk-settlement.js';
import { OutboxJournal } from './journal.js';

/**
 * The desk journal's reading of its settlements on a real journal file: the day's list as later
 * answers move each settlement on, items without an outcome, and every kind of disagreement with
 * the service's 3202 detail.
 */

const DESK = 'H-330300-0901';

function settlement(id: string, attemptKey: string, status: Settlement['status'], total: number): Settlement {
  return {
    settlementId: id,
    visitId: `V-${id}`,
    quoteId: `Q-${id}`,
    attemptKey,
    terminalId: DESK,
    institutionId: 'H330300-2',
    cardNumber: 'X00000019',
    personNo: 'P0001',
    scheme: '310',
    insuredRegion: '330300',
    treatmentRegion: '330300',
    policy: { region: '330300', scheme: '310', year: 2026, version: 1 },
    settledAt: '2026-12-07T02:00:00.000Z',
    businessDate: '2026-12-07',
    status,
    endedAt: status === 'settled' ? null : '2026-12-07T03:00:00.000Z',
    breakdown: {
      medfee_sumamt: total,
      fulamt_ownpay_amt: 0,
      overlmt_selfpay: 0,
      preselfpay_amt: 0,
      inscp_scp_amt: total,
      act_pay_dedc: 0,
      hifp_pay: 0,
      hifmi_pay: 0,
      fund_pay_sumamt: 0,
      psn_part_amt: total,
      acct_pay: 0,
      psn_cash_pay: total,
      balc: 0,
      lines: [],
      accumulators: {
        outpatientDeductiblePaid: 0,
        pooledFundUsed: 0,
        largeExpenseDeductiblePaid: 0,
        largeExpenseFundUsed: 0,
      },
    },
  };
}

async function journalWith() {
  const journal = await OutboxJournal.open(join(await tempDir(), 'journal.sqlite3'), { terminalId: DESK });
  const append = (operation: string, body: unknown) =>
    journal.append({ operation, method: 'POST', path: '/v1/settlement/x', body });
  return { journal, append };
}

test("the day's list follows each settlement to its latest state, and leaves out other days and voided attempts", async () => {
  const { journal, append } = await journalWith();
  try {
    const a = await append(SETTLEMENT_OPERATIONS.settle, { quoteId: 'Q-A' });
    await journal.recordAnswer(a.seq, 200, settlement('S-A', a.idempotencyKey, 'settled', 5000));
    const b = await append(SETTLEMENT_OPERATIONS.settle, { quoteId: 'Q-B' });
    await journal.recordAnswer(b.seq, 200, {
      attemptKey: b.idempotencyKey,
      outcome: 'voided',
      settlement: null,
    });
    const c = await append(SETTLEMENT_OPERATIONS.settle, { quoteId: 'Q-C' });
    await journal.recordAnswer(c.seq, 200, {
      attemptKey: c.idempotencyKey,
      outcome: 'settled',
      settlement: settlement('S-C', c.idempotencyKey, 'settled', 700),
    });
    const cancel = await append(SETTLEMENT_OPERATIONS.cancel, { settlementId: 'S-A' });
    await journal.recordAnswer(cancel.seq, 200, settlement('S-A', a.idempotencyKey, 'cancelled', 5000));
    const refused = await append(SETTLEMENT_OPERATIONS.settle, { quoteId: 'Q-D' });
    await journal.recordAnswer(refused.seq, 409, { code: 'QUOTE_EXPIRED', message: 'expired', details: {} });
    await append(SETTLEMENT_OPERATIONS.settle, { quoteId: 'Q-E' });

    const entries = await journal.entriesOf(SETTLEMENT_OPERATION_NAMES);
    assert.deepEqual(
      daySettlements(entries, '2026-12-07').map((v) => [
        v.settlement.settlementId,
        v.settlement.status,
        v.attemptKey,
      ]),
      [
        ['S-A', 'cancelled', a.idempotencyKey],
        ['S-C', 'settled', c.idempotencyKey],
      ],
    );
    assert.deepEqual(daySettlements(entries, '2026-12-08'), []);
    assert.deepEqual(
      pendingItems(await journal.pending(), await journal.parked()).map((p) => [p.operation, p.state]),
      [['settle', 'unanswered']],
    );
  } finally {
    await journal.close();
  }
});

test('every disagreement with the service is named: missing on either side, another state, another amount', () => {
  const mine = [
    { attemptKey: 'K1', settlement: settlement('S1', 'K1', 'settled', 100) },
    { attemptKey: 'K2', settlement: settlement('S2', 'K2', 'settled', 200) },
    { attemptKey: 'K3', settlement: settlement('S3', 'K3', 'settled', 300) },
    { attemptKey: 'K4', settlement: settlement('S4', 'K4', 'settled', 400) },
  ];
  const cheaper = settlement('S4', 'K4', 'settled', 400);
  cheaper.breakdown = { ...cheaper.breakdown, acct_pay: 1, psn_cash_pay: 399 };
  const theirs = [
    settlement('S2', 'K2', 'cancelled', 200),
    settlement('S3', 'K3', 'settled', 300),
    cheaper,
    settlement('S5', 'K5', 'settled', 500),
  ];
  assert.deepEqual(
    compareWithService(mine, theirs).map((m) => [m.kind, m.settlementId]),
    [
      ['missing_in_service', 'S1'],
      ['status_differs', 'S2'],
      ['amount_differs', 'S4'],
      ['missing_in_journal', 'S5'],
    ],
  );
  assert.deepEqual(compareWithService(mine.slice(2, 3), theirs.slice(1, 2)), []);
});
