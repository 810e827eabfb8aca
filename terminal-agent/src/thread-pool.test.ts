import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MIN_THREAD_POOL_SIZE, reserveThreadPool } from './thread-pool.cjs';

const SSCARD = fileURLToPath(new URL('./sscard.cjs', import.meta.url));

/**
 * Preloaded into the `sscard` process: once the entry has run, it parks MIN - 1 pool threads in
 * open() of FIFOs that have no writer, then asks the pool for one more operation. That operation
 * completes only if the pool has at least MIN threads; then it lets the parked threads go.
 *
 * The writers are opened O_RDWR (which never blocks on a FIFO on Linux) and held: a thread that
 * took its open() off the queue but has not reached the system call yet finds a writer too, where
 * a write-only non-blocking open would fail with ENXIO. They are also opened when the process
 * exits before that (the CLI ends itself a second after its command): Node joins the pool's
 * threads at exit, and one left in open() would hang the process there.
 */
const PROBE = `
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
let fifos = [];
let released = false;
function release() {
  if (released) return;
  released = true;
  for (const f of fifos) fs.openSync(f, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
}
process.on('exit', release);
setImmediate(() => {
  const dir = process.env.PROBE_DIR;
  const parked = Number(process.env.PROBE_PARKED);
  fifos = Array.from({ length: parked }, (_, i) => path.join(dir, 'fifo' + i));
  execFileSync('mkfifo', fifos);
  for (const f of fifos) fs.open(f, 'r', (err, fd) => { if (!err) fs.close(fd, () => {}); });
  fs.stat(dir, () => {
    process.stdout.write('POOL_HAS_ROOM ' + process.env.UV_THREADPOOL_SIZE + '\\n');
    release();
  });
});
`;

describe('thread pool size', () => {
  it('raises an unset or small UV_THREADPOOL_SIZE to the minimum and keeps a larger one', () => {
    const unset: NodeJS.ProcessEnv = {};
    assert.equal(reserveThreadPool(unset), MIN_THREAD_POOL_SIZE);
    assert.equal(unset.UV_THREADPOOL_SIZE, String(MIN_THREAD_POOL_SIZE));
    assert.equal(reserveThreadPool({ UV_THREADPOOL_SIZE: '4' }), MIN_THREAD_POOL_SIZE);
    assert.equal(reserveThreadPool({ UV_THREADPOOL_SIZE: 'many' }), MIN_THREAD_POOL_SIZE);
    assert.equal(reserveThreadPool({ UV_THREADPOOL_SIZE: '64' }), 64);
  });

  // Without the larger pool the probe's operation never completes: the time limit turns that
  // into a failure instead of a hung run.
  it('is in effect in the sscard process: one pool operation completes with MIN - 1 threads parked', {
    timeout: 60_000,
  }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sscard-pool-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const probe = join(dir, 'probe.cjs');
    writeFileSync(probe, PROBE);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PROBE_DIR: dir,
      PROBE_PARKED: String(MIN_THREAD_POOL_SIZE - 1),
    };
    delete env.UV_THREADPOOL_SIZE;
    const child = spawn(process.execPath, ['--require', probe, SSCARD, '--help'], { env });
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Whether POOL_HAS_ROOM was printed tells a pool too small from a process that hung later.
    const code = await Promise.race([exited, sleep(30_000, 'no exit' as const, { ref: false })]);
    assert.notEqual(code, 'no exit', `the sscard process did not exit within 30 s; it printed: ${out}`);
    assert.match(out, new RegExp(`POOL_HAS_ROOM ${MIN_THREAD_POOL_SIZE}`));
    assert.equal(code, 0);
  });
});
