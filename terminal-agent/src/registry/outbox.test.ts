import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { RegistryError, isRegistryError } from './errors.js';
import type { JsonAnswer } from './https-json.js';
import { type JournalEntry, OutboxJournal } from './journal.js';
import { Outbox, isDecision, resultOf } from './outbox.js';
import { openDatabase } from './sqlite.js';

const request = {
  operation: 'reportTemporaryLoss',
  method: 'POST' as const,
  path: '/v1/cards/X00000019/events',
  body: { event: 'reportTemporaryLoss' },
};

const answer = (status: number, body: unknown): JsonAnswer => ({ status, body, headers: {} });
const unreachable = (outcomeUnknown: boolean) =>
  new RegistryError('REGISTRY_UNREACHABLE', 'connection reset', { outcomeUnknown });

async function openJournal(): Promise<OutboxJournal> {
  return OutboxJournal.open(join(await tempDir(), 'journal.sqlite3'), { terminalId: 'T1' });
}

test('journals a request before it is sent and records the answer after', async () => {
  const journal = await openJournal();
  const seenPending: boolean[] = [];
  const outbox = new Outbox(journal, async (entry) => {
    seenPending.push((await journal.pending()).some((p) => p.idempotencyKey === entry.idempotencyKey));
    return answer(200, { card: { status: 'temporarily_lost' } });
  });
  const entry = await outbox.submit(request);
  assert.deepEqual(seenPending, [true]);
  assert.equal(entry.state, 'answered');
  assert.equal(entry.attempts, 1);
  assert.deepEqual(resultOf(entry), { card: { status: 'temporarily_lost' } });
  await journal.close();
});

test('an unanswered request stays pending and is resent later with the same key', async () => {
  const journal = await openJournal();
  const keys: string[] = [];
  let reachable = false;
  const outbox = new Outbox(journal, async (entry) => {
    keys.push(entry.idempotencyKey);
    if (!reachable) throw unreachable(true);
    return answer(200, { ok: true });
  });
  await assert.rejects(outbox.submit(request), (e: unknown) => {
    assert.ok(isRegistryError(e, 'REGISTRY_UNREACHABLE'));
    assert.equal(e.outcomeUnknown, true);
    assert.equal(e.details?.idempotencyKey, keys[0]);
    return true;
  });
  const [pending] = await journal.pending();
  assert.match(pending!.lastError ?? '', /REGISTRY_UNREACHABLE/);

  const stillDown = await outbox.resendPending();
  assert.equal(stillDown.stillPending.length, 1);
  assert.equal(stillDown.stoppedBy?.code, 'REGISTRY_UNREACHABLE');

  reachable = true;
  const report = await outbox.resendPending();
  assert.equal(report.answered.length, 1);
  assert.deepEqual(report.stillPending, []);
  assert.equal(new Set(keys).size, 1, 'every attempt carried the same key');
  assert.equal(report.answered[0]!.attempts, 3);
  await journal.close();
});

test('server errors and rate limits leave the request pending; refusals settle it', async () => {
  assert.equal(isDecision(503), false);
  assert.equal(isDecision(500), false);
  assert.equal(isDecision(429), false);
  assert.equal(isDecision(401), false);
  assert.equal(isDecision(409), true);
  assert.equal(isDecision(422), true);

  const journal = await openJournal();
  const answers = [
    answer(503, { code: 'STORE_UNAVAILABLE', message: 'down' }),
    answer(409, {
      code: 'ILLEGAL_TRANSITION',
      message: 'a card in state temporarily_lost cannot reportTemporaryLoss',
    }),
  ];
  const outbox = new Outbox(journal, async () => answers.shift()!);
  await assert.rejects(outbox.submit(request), (e: unknown) => isRegistryError(e, 'REGISTRY_UNREACHABLE'));
  const { answered } = await outbox.resendPending();
  assert.equal(answered.length, 1);
  assert.throws(
    () => resultOf(answered[0]!),
    (e: unknown) => isRegistryError(e, 'REFUSED') && e.serviceCode === 'ILLEGAL_TRANSITION',
  );
  await journal.close();
});

test('a revoked terminal keeps its requests and says TERMINAL_REVOKED', async () => {
  const journal = await openJournal();
  const outbox = new Outbox(journal, async () =>
    answer(401, { code: 'CLIENT_CERT_REVOKED', message: 'the client certificate is revoked or expired' }),
  );
  await assert.rejects(outbox.submit(request), (e: unknown) => isRegistryError(e, 'TERMINAL_REVOKED'));
  assert.equal((await journal.pending()).length, 1);
  await journal.close();
});

test('resends in journal order and stops at the first entry that gets no answer', async () => {
  const journal = await openJournal();
  for (let i = 0; i < 3; i++) await journal.append({ ...request, body: { n: i } });
  const sent: number[] = [];
  const outbox = new Outbox(journal, async (entry: JournalEntry) => {
    sent.push(entry.seq);
    if (entry.seq === 2) throw unreachable(false);
    return answer(200, {});
  });
  const report = await outbox.resendPending();
  assert.deepEqual(sent, [1, 2]);
  assert.deepEqual(
    report.stillPending.map((e) => e.seq),
    [2, 3],
  );
  await journal.close();
});

test('two resend passes at once send each entry once', async () => {
  const journal = await openJournal();
  await journal.append(request);
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const outbox = new Outbox(journal, async () => {
    calls++;
    await gate;
    return answer(200, {});
  });
  const a = outbox.resendPending();
  const b = outbox.resendPending();
  release();
  await Promise.all([a, b]);
  assert.equal(calls, 1);
  await journal.close();
});

test('an entry the service answers with 5xx does not hold up the entries after it', async () => {
  const journal = await openJournal();
  for (let i = 0; i < 3; i++) await journal.append({ ...request, body: { n: i } });
  const sent: number[] = [];
  const outbox = new Outbox(journal, async (entry: JournalEntry) => {
    sent.push(entry.seq);
    if (entry.seq === 1) return answer(500, { code: 'INTERNAL', message: 'the service failed' });
    return answer(200, {});
  });
  const report = await outbox.resendPending();
  assert.deepEqual(sent, [1, 2, 3]);
  assert.deepEqual(
    report.answered.map((e) => e.seq),
    [2, 3],
  );
  assert.deepEqual(
    report.failed.map((e) => [e.seq, e.serverErrors, e.lastError]),
    [[1, 1, 'HTTP 500 INTERNAL']],
  );
  assert.equal(report.stoppedBy, undefined);
  await journal.close();
});

test('an entry that keeps failing with 5xx is parked with its reason and no longer resent', async () => {
  const journal = await openJournal();
  await journal.append({ ...request, body: { n: 'poison' } });
  await journal.append({ ...request, body: { n: 'fine' } });
  const sent: number[] = [];
  let fineAnswers = false;
  const outbox = new Outbox(
    journal,
    async (entry: JournalEntry) => {
      sent.push(entry.seq);
      if (entry.seq === 1) return answer(500, { code: 'INTERNAL', message: 'the service failed' });
      if (!fineAnswers) throw unreachable(true);
      return answer(200, {});
    },
    undefined,
    { parkAfterServerErrors: 3 },
  );
  const passes = [];
  for (let i = 0; i < 3; i++) passes.push(await outbox.resendPending());
  assert.deepEqual(
    passes[2]!.parked.map((e) => e.seq),
    [1],
  );
  const [parked] = await journal.parked();
  assert.equal(parked?.seq, 1);
  assert.equal(parked?.state, 'pending', 'parked is not answered: it stays for an operator');
  assert.equal(parked?.parked?.reason, 'HTTP 500 INTERNAL, 3 times in a row');
  assert.deepEqual(
    (await journal.pending()).map((e) => e.seq),
    [2],
  );

  sent.length = 0;
  fineAnswers = true;
  const after = await outbox.resendPending();
  assert.deepEqual(sent, [2], 'the parked entry is not sent again');
  assert.deepEqual(
    after.answered.map((e) => e.seq),
    [2],
  );

  // An operator who fixed the cause puts it back; its streak starts again.
  assert.equal(await journal.unpark(1), true);
  assert.deepEqual(
    (await journal.pending()).map((e) => [e.seq, e.serverErrors, e.parked]),
    [[1, 0, null]],
  );
  await journal.close();
});

test('answered entries are pruned after the retention period; pending ones and the sequence stay', async () => {
  let clock = new Date('2026-01-01T00:00:00Z');
  const journal = await OutboxJournal.open(join(await tempDir(), 'journal.sqlite3'), {
    terminalId: 'T1',
    now: () => clock,
  });
  const outbox = new Outbox(
    journal,
    async (entry: JournalEntry) => {
      if (entry.seq === 2) throw unreachable(true);
      return answer(200, {});
    },
    undefined,
    { retentionMs: 30 * 24 * 3600_000, now: () => clock },
  );
  await outbox.submit(request);
  await assert.rejects(outbox.submit(request));
  clock = new Date('2026-01-20T00:00:00Z');
  await outbox.resendPending();
  assert.equal((await journal.recent()).length, 2, 'within the retention period');
  clock = new Date('2026-02-15T00:00:00Z');
  await outbox.resendPending();
  assert.deepEqual(
    (await journal.recent()).map((e) => [e.seq, e.state]),
    [[2, 'pending']],
  );
  const next = await journal.append(request);
  assert.equal(next.seq, 3, 'a pruned key is never handed out again');
  await journal.close();
});

test('a journal written by the previous schema opens with its entries', async () => {
  const file = join(await tempDir(), 'journal.sqlite3');
  const db = await openDatabase(file);
  await db.exec(`
    CREATE TABLE sequences (terminal_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE TABLE outbox (
      terminal_id TEXT NOT NULL, seq INTEGER NOT NULL, operation TEXT NOT NULL, method TEXT NOT NULL,
      path TEXT NOT NULL, body TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'answered')),
      attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, last_attempt_at TEXT, last_error TEXT,
      answer_status INTEGER, answer_body TEXT, answered_at TEXT, PRIMARY KEY (terminal_id, seq));
    INSERT INTO sequences VALUES ('T1', 7);
    INSERT INTO outbox (terminal_id, seq, operation, method, path, body, state, created_at)
      VALUES ('T1', 7, 'reportTemporaryLoss', 'POST', '/v1/cards/X00000019/events', '{}', 'pending', '2026-01-01T00:00:00Z');
    PRAGMA user_version = 1;`);
  await db.close();
  const journal = await OutboxJournal.open(file, { terminalId: 'T1' });
  assert.deepEqual(
    (await journal.pending()).map((e) => [e.seq, e.serverErrors, e.parked]),
    [[7, 0, null]],
  );
  assert.equal((await journal.append(request)).seq, 8);
  await journal.close();
});
