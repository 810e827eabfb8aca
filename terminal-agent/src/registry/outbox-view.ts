import type { OutboxAnswer, OutboxEntryView } from '@sscard/agent-protocol';
import type { JournalEntry, OutboxJournal } from './journal.js';

/** An entry as the operator sees it: what, when, how often and why not; never the body. */
export function outboxEntryView(entry: JournalEntry): OutboxEntryView {
  return {
    idempotencyKey: entry.idempotencyKey,
    operation: entry.operation,
    method: entry.method,
    path: entry.path,
    createdAt: entry.createdAt,
    attempts: entry.attempts,
    lastAttemptAt: entry.lastAttemptAt,
    lastError: entry.lastError,
    serverErrors: entry.serverErrors,
    parked: entry.parked,
  };
}

/** The unanswered requests of the journal: pending, parked, and those of an earlier terminal id. */
export async function outboxView(journal: OutboxJournal | undefined): Promise<OutboxAnswer> {
  if (!journal) return { open: false, pending: [], parked: [], otherTerminals: [] };
  const [pending, parked, otherTerminals] = await Promise.all([
    journal.pending(),
    journal.parked(),
    journal.pendingOfOtherTerminals(),
  ]);
  return {
    open: true,
    pending: pending.map(outboxEntryView),
    parked: parked.map(outboxEntryView),
    otherTerminals: otherTerminals.map(outboxEntryView),
  };
}
