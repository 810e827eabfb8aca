import { closeSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Finds the 64-bit keys that occur more than once in a stream of any length, in bounded memory:
 * keys collect in a buffer of `runKeys` (8 bytes each); a full buffer is sorted and written to a
 * file in `dir` as a sorted run, and `finish` merges the runs, reading each `BLOCK_KEYS` at a
 * time. Memory is `runKeys × 8` bytes plus one block per run, whatever the number of keys.
 */
export interface DuplicateScan {
  /** How many keys were extra occurrences (a key seen three times counts two). */
  extra: number;
  /** The repeated keys, at most `keep` of them (the smallest). */
  keys: Set<bigint>;
  /** More keys repeated than `keys` holds. */
  truncated: boolean;
}

const BLOCK_KEYS = 1 << 16;

export class DuplicateKeys {
  private buffer: BigUint64Array;
  private size = 0;
  private readonly runs: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly runKeys = 1 << 22,
  ) {
    this.buffer = new BigUint64Array(Math.min(runKeys, 1 << 16));
  }

  add(key: bigint): void {
    if (this.size === this.buffer.length) {
      if (this.size < this.runKeys) {
        const grown = new BigUint64Array(Math.min(this.runKeys, this.size * 2));
        grown.set(this.buffer);
        this.buffer = grown;
      } else this.spill();
    }
    this.buffer[this.size++] = key;
  }

  private spill(): void {
    const run = this.buffer.subarray(0, this.size).sort();
    const file = join(this.dir, `${this.name}-${this.runs.length}.keys`);
    this.runs.push(file);
    writeFileSync(file, new Uint8Array(run.buffer, run.byteOffset, run.byteLength));
    this.size = 0;
  }

  finish(keep: number): DuplicateScan {
    const scan: DuplicateScan = { extra: 0, keys: new Set(), truncated: false };
    const found = (key: bigint) => {
      scan.extra++;
      if (scan.keys.has(key)) return;
      if (scan.keys.size < keep) scan.keys.add(key);
      else scan.truncated = true;
    };
    if (this.runs.length === 0) {
      const keys = this.buffer.subarray(0, this.size).sort();
      for (let i = 1; i < keys.length; i++) if (keys[i] === keys[i - 1]) found(keys[i]!);
      this.buffer = new BigUint64Array(0);
      return scan;
    }
    if (this.size > 0) this.spill();
    this.buffer = new BigUint64Array(0);
    const readers = this.runs.map((f) => new RunReader(f));
    try {
      let last: bigint | undefined;
      for (;;) {
        let min: RunReader | undefined;
        for (const r of readers) if (!r.done && (min === undefined || r.head < min.head)) min = r;
        if (min === undefined) break;
        const key = min.head;
        if (key === last) found(key);
        last = key;
        min.next();
      }
    } finally {
      for (const r of readers) r.close();
      this.discard();
    }
    return scan;
  }

  /** Removes any runs written (after an error). */
  discard(): void {
    for (const f of this.runs) rmSync(f, { force: true });
    this.buffer = new BigUint64Array(0);
  }
}

class RunReader {
  private readonly block = new BigUint64Array(BLOCK_KEYS);
  private readonly fd: number;
  private length = 0;
  private index = 0;
  head = 0n;
  done = false;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
    this.fill();
  }

  private fill(): void {
    const bytesRead = readSync(this.fd, new Uint8Array(this.block.buffer), 0, this.block.byteLength, null);
    this.length = bytesRead / 8;
    this.index = 0;
    if (this.length === 0) this.done = true;
    else this.head = this.block[0]!;
  }

  next(): void {
    if (++this.index < this.length) this.head = this.block[this.index]!;
    else this.fill();
  }

  close(): void {
    closeSync(this.fd);
  }
}
