import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';

test('back-off doubles up to its cap and starts over after a success', () => {
  const b = new Backoff(50, 300);
  assert.deepEqual([b.delay(), b.delay(), b.delay(), b.delay(), b.delay()], [50, 100, 200, 300, 300]);
  b.reset();
  assert.equal(b.delay(), 50);
});
