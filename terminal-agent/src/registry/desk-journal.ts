import type { DeskPendingItem, DeskReconciliationMismatch, DeskSettlementView } from '@sscard/agent-protocol';
import type { Settlement } from '@sscard/registry-protocol/settlement';
import {
  SETTLEMENT_OPERATIONS,
  SETTLEMENT_OPERATION_NAMES,
  cancelOutcome,
  reversalOutcome,
  settleOutcome,
} from './desk-settlement.js';
import type { JournalEntry } from './journal.js';

/**
 * What the desk's journal says of its settlements: the day's list as it stands, the items still
 * without an outcome, and where the journal and the service's reconciliation (3202) disagree.
 * Only answers the service gave are read; an entry without one is pending, never guessed.
 */

const SHORT_NAMES: Record<string, string> = {
  [SETTLEMENT_OPERATIONS.register]: 'register',
  [SETTLEMENT_OPERATIONS.bill]: 'bill',
  [SETTLEMENT_OPERATIONS.preSettle]: 'pre-settle',
  [SETTLEMENT_OPERATIONS.settle]: 'settle',
  [SETTLEMENT_OPERATIONS.cancel]: 'cancel',
  [SETTLEMENT_OPERATIONS.reverse]: 'reversal',
};

/** An answered entry that carries a settlement as it stood after it, or undefined. */
function settlementAfter(entry: JournalEntry): Settlement | undefined {
  if (!entry.answer || entry.answer.status < 200 || entry.answer.status >= 300) return undefined;
  switch (entry.operation) {
    case SETTLEMENT_OPERATIONS.settle: {
      const outcome = settleOutcome(entry);
      return outcome.kind === 'settlement' ? outcome.settlement : undefined;
    }
    case SETTLEMENT_OPERATIONS.cancel:
      return cancelOutcome(entry);
    case SETTLEMENT_OPERATIONS.reverse:
      return reversalOutcome(entry).settlement ?? undefined;
    default:
      return undefined;
  }
}

/**
 * This desk's settlements of business day `date` as its journal holds them: each settled attempt
 * with the latest state a later cancellation or reversal answered, in the order they were made.
 */
export function daySettlements(entries: readonly JournalEntry[], date: string): DeskSettlementView[] {
  const byId = new Map<string, DeskSettlementView>();
  for (const entry of entries) {
    const settlement = settlementAfter(entry);
    if (!settlement || settlement.businessDate !== date) continue;
    const known = byId.get(settlement.settlementId);
    // The settle's answer names the attempt; a later answer only moves the state on.
    if (known) byId.set(settlement.settlementId, { attemptKey: known.attemptKey, settlement });
    else byId.set(settlement.settlementId, { attemptKey: settlement.attemptKey, settlement });
  }
  return [...byId.values()];
}

/** Settlement journal items without an outcome: unanswered, or parked for an operator. */
export function pendingItems(
  pending: readonly JournalEntry[],
  parked: readonly JournalEntry[],
): DeskPendingItem[] {
  const item = (entry: JournalEntry, state: DeskPendingItem['state']): DeskPendingItem => ({
    idempotencyKey: entry.idempotencyKey,
    operation: SHORT_NAMES[entry.operation] ?? entry.operation,
    state,
    createdAt: entry.createdAt,
    attempts: entry.attempts,
    lastError: entry.lastError,
  });
  return [
    ...pending
      .filter((e) => SETTLEMENT_OPERATION_NAMES.includes(e.operation))
      .map((e) => item(e, 'unanswered')),
    ...parked.filter((e) => SETTLEMENT_OPERATION_NAMES.includes(e.operation)).map((e) => item(e, 'parked')),
  ].sort((a, b) => a.idempotencyKey.localeCompare(b.idempotencyKey));
}

const brief = (s: Settlement) => ({ status: s.status, medfee_sumamt: s.breakdown.medfee_sumamt });

/** Key order does not matter to the comparison of two breakdowns; every amount does. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Every disagreement between the journal's settlements of a day and the service's settlements of
 * this desk on that day: one side lacks it, the state differs, or any amount differs.
 */
export function compareWithService(
  journal: readonly DeskSettlementView[],
  service: readonly Settlement[],
): DeskReconciliationMismatch[] {
  const mismatches: DeskReconciliationMismatch[] = [];
  const serviceById = new Map(service.map((s) => [s.settlementId, s]));
  const journalIds = new Set<string>();
  for (const { attemptKey, settlement } of journal) {
    journalIds.add(settlement.settlementId);
    const theirs = serviceById.get(settlement.settlementId);
    const base = { settlementId: settlement.settlementId, attemptKey, journal: brief(settlement) };
    if (!theirs) mismatches.push({ kind: 'missing_in_service', ...base, service: null });
    else if (theirs.status !== settlement.status)
      mismatches.push({ kind: 'status_differs', ...base, service: brief(theirs) });
    else if (canonical(theirs.breakdown) !== canonical(settlement.breakdown))
      mismatches.push({ kind: 'amount_differs', ...base, service: brief(theirs) });
  }
  for (const theirs of service) {
    if (journalIds.has(theirs.settlementId)) continue;
    mismatches.push({
      kind: 'missing_in_journal',
      settlementId: theirs.settlementId,
      attemptKey: theirs.attemptKey,
      journal: null,
      service: brief(theirs),
    });
  }
  return mismatches;
}
