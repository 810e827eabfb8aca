import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadCoalescer } from './read-coalescer.js';

/** A load whose batches the test answers (or fails) by hand, recording the keys of each. */
function manualLoad() {
  const batches: {
    keys: readonly string[];
    answer(rows: Record<string, string>): void;
    fail(e: Error): void;
  }[] = [];
  const load = (keys: readonly string[]) =>
    new Promise<ReadonlyMap<string, string>>((resolve, reject) => {
      batches.push({
        keys,
        answer: (rows) => resolve(new Map(Object.entries(rows))),
        fail: reject,
      });
    });
  return { batches, load };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a lone read leaves at once, alone, and gets its row', async () => {
  const { batches, load } = manualLoad();
  const reads = new ReadCoalescer(load);
  const a = reads.get('a');
  // Sent before any I/O or timer could run: a lone read waits for nothing.
  await Promise.resolve();
  assert.deepEqual(
    batches.map((b) => b.keys),
    [['a']],
  );
  batches[0]!.answer({ a: 'row a' });
  assert.equal(await a, 'row a');
});

test('reads asked for together share one batch, each caller gets its own row, unknown keys get undefined', async () => {
  const { batches, load } = manualLoad();
  const reads = new ReadCoalescer(load);
  const answers = Promise.all([reads.get('a'), reads.get('b'), reads.get('a'), reads.get('nobody')]);
  await tick();
  assert.equal(batches.length, 1);
  // The same key is read once.
  assert.deepEqual([...batches[0]!.keys].sort(), ['a', 'b', 'nobody']);
  batches[0]!.answer({ a: 'row a', b: 'row b' });
  assert.deepEqual(await answers, ['row a', 'row b', 'row a', undefined]);
});

test('reads that arrive while a batch runs wait for the next one, which holds only them', async () => {
  const { batches, load } = manualLoad();
  const reads = new ReadCoalescer(load);
  const first = reads.get('a');
  await tick();
  // Asked for after the first batch left: they must not be answered from it (a revocation
  // committed in between would be missed), so they wait.
  const second = reads.get('a');
  const third = reads.get('c');
  await tick();
  assert.equal(batches.length, 1);
  batches[0]!.answer({ a: 'a before' });
  assert.equal(await first, 'a before');
  // The next batch left as soon as the first finished, with both waiting reads.
  assert.equal(batches.length, 2);
  assert.deepEqual([...batches[1]!.keys].sort(), ['a', 'c']);
  batches[1]!.answer({ a: 'a after', c: 'row c' });
  assert.deepEqual(await Promise.all([second, third]), ['a after', 'row c']);
});

test('a failed batch fails its own callers only', async () => {
  const { batches, load } = manualLoad();
  const reads = new ReadCoalescer(load);
  const failing = [reads.get('a'), reads.get('b')];
  await tick();
  const later = reads.get('a');
  batches[0]!.fail(new Error('disk I/O error'));
  for (const r of await Promise.allSettled(failing)) {
    assert.equal(r.status, 'rejected');
    if (r.status === 'rejected') assert.match(String(r.reason), /disk I\/O error/);
  }
  await tick();
  batches[1]!.answer({ a: 'row a' });
  assert.equal(await later, 'row a');
});

test('a load that throws at once fails that batch, and the next read is served', async () => {
  let calls = 0;
  const reads = new ReadCoalescer<string>((keys) => {
    calls++;
    if (calls === 1) throw new Error('statement could not be prepared');
    return Promise.resolve(new Map(keys.map((k) => [k, `row ${k}`])));
  });
  await assert.rejects(reads.get('a'), /could not be prepared/);
  assert.equal(await reads.get('a'), 'row a');
});

test('more keys than a batch holds go in the batches after it', async () => {
  const { batches, load } = manualLoad();
  const reads = new ReadCoalescer(load, { maxBatch: 2 });
  const answers = Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => reads.get(k)));
  await tick();
  batches[0]!.answer({ a: '1', b: '2' });
  await tick();
  batches[1]!.answer({ c: '3', d: '4' });
  await tick();
  batches[2]!.answer({ e: '5' });
  assert.deepEqual(
    batches.map((b) => b.keys),
    [['a', 'b'], ['c', 'd'], ['e']],
  );
  assert.deepEqual(await answers, ['1', '2', '3', '4', '5']);
});
