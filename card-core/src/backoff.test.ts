import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';

test('back-off doubles up to its cap, counts the failures and starts over after a success', () => {
  const b = new Backoff({ initialMs: 50, maxMs: 300 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [50, 100, 200, 300, 300]);
  assert.equal(b.failures, 5);
  b.reset();
  assert.equal(b.next(), 50);
});

test('back-off grows by its factor', () => {
  const b = new Backoff({ initialMs: 10, maxMs: 1000, factor: 3 });
  assert.deepEqual([b.next(), b.next(), b.next()], [10, 30, 90]);
});
