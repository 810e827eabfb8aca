import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limit.js';

test('a bucket allows its capacity, refuses the next and refills with time', () => {
  let now = 0;
  const limiter = new RateLimiter(3, 1, () => now);
  assert.deepEqual([limiter.take('t1'), limiter.take('t1'), limiter.take('t1')], [0, 0, 0]);
  assert.equal(limiter.take('t1'), 1);
  assert.equal(limiter.take('t2'), 0, 'another terminal has its own bucket');
  now += 1000;
  assert.equal(limiter.take('t1'), 0);
  assert.equal(limiter.take('t1'), 1);
});

test('a clock set back neither refills nor drains a bucket', () => {
  let now = 60_000;
  const limiter = new RateLimiter(2, 1, () => now);
  assert.equal(limiter.take('t1'), 0);
  now -= 600_000;
  assert.equal(limiter.peek('t1'), 0, 'the token left is still there');
  assert.equal(limiter.take('t1'), 0);
  assert.equal(limiter.take('t1'), 1, 'and no more than it');
});
