import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@sscard/test-harness';
import { RegistryError, isRegistryError } from './errors.js';
import type { JsonAnswer } from './https-json.js';
import { type JournalEntry, OutboxJournal } from './journal.js';
import { Outbox, isDecision, resultOf } from './outbox.js';

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
