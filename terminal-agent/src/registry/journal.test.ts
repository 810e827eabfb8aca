import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { OutboxJournal, idempotencyKey } from './journal.js';
import { openDatabase } from './sqlite.js';

const lossReport = (cardNumber: string) => ({
  operation: 'reportTemporaryLoss',
  method: 'POST' as const,
  path: `/v1/cards/${cardNumber}/temporary-loss`,
  body: { cardNumber },
});

test('hands out a growing sequence per terminal and keys made of terminal id and sequence', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const journal = await OutboxJournal.open(file, { terminalId: 'T-KIOSK-1' });
  const a = await journal.append(lossReport('X00000019'));
  const b = await journal.append(lossReport('X0000002A'));
  assert.equal(a.seq, 1);
  assert.equal(b.seq, 2);
  assert.equal(a.idempotencyKey, idempotencyKey('T-KIOSK-1', 1));
  assert.match(a.idempotencyKey, /^T-KIOSK-1:0+1$/);
  assert.notEqual(a.idempotencyKey, b.idempotencyKey);
  assert.deepEqual(a.body, { cardNumber: 'X00000019' });
  assert.equal(a.state, 'pending');
  await journal.close();
});

test('sets WAL and synchronous=FULL, and keeps the file to its owner', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const journal = await OutboxJournal.open(file, { terminalId: 'T1' });
  assert.deepEqual(await journal.durability(), { journalMode: 'wal', synchronous: 'full' });
  await journal.close();
  assert.equal((await stat(file)).mode & 0o777, 0o600);
});

test('a pending entry survives closing the journal and is found again with the same key', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const first = await OutboxJournal.open(file, { terminalId: 'T1' });
  const written = await first.append(lossReport('X00000019'));
  await first.recordAttempt(written.seq);
  await first.close();

  const reopened = await OutboxJournal.open(file, { terminalId: 'T1' });
  const pending = await reopened.pending();
  assert.equal(pending.length, 1);
  assert.equal(pending[0]!.idempotencyKey, written.idempotencyKey);
  assert.equal(pending[0]!.attempts, 1);
  assert.deepEqual(pending[0]!.body, written.body);
  // The next request gets a new number: the sequence did not restart.
  assert.equal((await reopened.append(lossReport('X0000002A'))).seq, 2);
  await reopened.close();
});

test('the first answer recorded wins and the entry leaves the pending list', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const journal = await OutboxJournal.open(file, { terminalId: 'T1' });
  const entry = await journal.append(lossReport('X00000019'));
  const answered = await journal.recordAnswer(entry.seq, 200, { status: 'temporarily_lost' });
  assert.equal(answered.state, 'answered');
  assert.deepEqual(answered.answer?.body, { status: 'temporarily_lost' });
  const late = await journal.recordAnswer(entry.seq, 409, { code: 'ILLEGAL_TRANSITION' });
  assert.equal(late.answer?.status, 200);
  assert.deepEqual(await journal.pending(), []);
  await journal.close();
});

test('never reuses a sequence number, even when older entries are gone', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const journal = await OutboxJournal.open(file, { terminalId: 'T1' });
  await journal.append(lossReport('X00000019'));
  await journal.append(lossReport('X0000002A'));
  await journal.close();
  const db = await openDatabase(file);
  await db.run('DELETE FROM outbox');
  await db.close();
  const reopened = await OutboxJournal.open(file, { terminalId: 'T1' });
  assert.equal((await reopened.append(lossReport('X00000019'))).seq, 3);
  await reopened.close();
});

test('keeps the sequences of two terminal ids apart and sends only its own', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const old = await OutboxJournal.open(file, { terminalId: 'T-OLD' });
  await old.append(lossReport('X00000019'));
  await old.close();
  const current = await OutboxJournal.open(file, { terminalId: 'T-NEW' });
  assert.equal((await current.append(lossReport('X0000002A'))).seq, 1);
  assert.deepEqual(
    (await current.pending()).map((e) => e.idempotencyKey),
    [idempotencyKey('T-NEW', 1)],
  );
  assert.deepEqual(
    (await current.pendingOfOtherTerminals()).map((e) => e.idempotencyKey),
    [idempotencyKey('T-OLD', 1)],
  );
  await current.close();
});

test('concurrent appends get distinct consecutive numbers', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const journal = await OutboxJournal.open(file, { terminalId: 'T1' });
  const entries = await Promise.all(
    Array.from({ length: 20 }, (_, i) => journal.append(lossReport(`C${i}`))),
  );
  assert.deepEqual(
    entries.map((e) => e.seq).sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.equal(await journal.lastSequence(), 20);
  await journal.close();
});
