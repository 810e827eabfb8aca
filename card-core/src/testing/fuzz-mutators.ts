/**
 * A seeded random source and byte mutators for the fuzz tests: the same seed gives the same
 * inputs, so a failure reproduces from the seed and iteration it reports. Not exported from the
 * package.
 */

/** xorshift32 (Marsaglia): tiny, fast, and good enough to pick mutations; never for keys. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    // A zero state would stay zero forever.
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  chance(oneIn: number): boolean {
    return this.below(oneIn) === 0;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.below(items.length)]!;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** A stable 32-bit seed from a name (FNV-1a), so each target has its own reproducible stream. */
export function seedFromName(name: string, base: number): number {
  let h = 0x811c9dc5 ^ base;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Bytes that sit on the boundaries of length fields and tags. */
const INTERESTING = [0x00, 0x01, 0x02, 0x1f, 0x20, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xfe, 0xff];

export const MAX_FUZZ_INPUT = 2048;

type Mutation = (rng: SeededRandom, input: Buffer, donor: Buffer) => Buffer;

const flipBits: Mutation = (rng, input) => {
  if (input.length === 0) return input;
  const out = Buffer.from(input);
  const flips = 1 + rng.below(4);
  for (let i = 0; i < flips; i++) out[rng.below(out.length)]! ^= 1 << rng.below(8);
  return out;
};

/** Overwrites a byte with a length-field boundary value: 80 (indefinite), 81..84, FF, 00. */
const corruptLength: Mutation = (rng, input) => {
  if (input.length === 0) return input;
  const out = Buffer.from(input);
  const at = rng.below(out.length);
  out[at] = rng.chance(3) ? rng.next() & 0xff : rng.pick(INTERESTING);
  // Often the byte after a length marker matters too: make it large.
  if (at + 1 < out.length && rng.chance(2)) out[at + 1] = rng.pick([0x00, 0x7f, 0x80, 0xff]);
  return out;
};

const truncate: Mutation = (rng, input) => input.subarray(0, rng.below(input.length + 1));

const dropHead: Mutation = (rng, input) => input.subarray(rng.below(input.length + 1));

const insertBytes: Mutation = (rng, input) => {
  const at = rng.below(input.length + 1);
  const extra = rng.chance(2) ? Buffer.from([rng.pick(INTERESTING)]) : rng.bytes(1 + rng.below(8));
  return Buffer.concat([input.subarray(0, at), extra, input.subarray(at)]);
};

const deleteRange: Mutation = (rng, input) => {
  if (input.length === 0) return input;
  const at = rng.below(input.length);
  const n = 1 + rng.below(Math.min(8, input.length - at));
  return Buffer.concat([input.subarray(0, at), input.subarray(at + n)]);
};

const duplicateRange: Mutation = (rng, input) => {
  if (input.length === 0) return input;
  const at = rng.below(input.length);
  const n = 1 + rng.below(Math.min(16, input.length - at));
  const slice = input.subarray(at, at + n);
  return Buffer.concat([input.subarray(0, at), slice, slice, input.subarray(at + n)]);
};

/** Joins the head of one valid encoding to the tail of another. */
const splice: Mutation = (rng, input, donor) => {
  const cut = rng.below(input.length + 1);
  const from = rng.below(donor.length + 1);
  return Buffer.concat([input.subarray(0, cut), donor.subarray(from)]);
};

const MUTATIONS: readonly Mutation[] = [
  flipBits,
  flipBits,
  corruptLength,
  corruptLength,
  truncate,
  dropHead,
  insertBytes,
  deleteRange,
  duplicateRange,
  splice,
];

/** One to three mutations of a valid encoding, capped at MAX_FUZZ_INPUT bytes. */
export function mutate(rng: SeededRandom, input: Uint8Array, donor: Uint8Array): Buffer {
  let out: Buffer = Buffer.from(input);
  const d = Buffer.from(donor);
  const rounds = 1 + rng.below(3);
  for (let i = 0; i < rounds; i++) out = rng.pick(MUTATIONS)(rng, out, d);
  return out.length > MAX_FUZZ_INPUT ? out.subarray(0, MAX_FUZZ_INPUT) : out;
}

/** A fuzz input: mostly mutations of the seeds, sometimes purely random bytes of a random length. */
export function fuzzInput(rng: SeededRandom, seeds: readonly Uint8Array[]): Buffer {
  if (seeds.length === 0 || rng.chance(8)) {
    const length = rng.chance(4) ? rng.below(8) : rng.below(300);
    return rng.bytes(length);
  }
  return mutate(rng, rng.pick(seeds), rng.pick(seeds));
}
