import { checkPrimeSync, createHmac } from 'node:crypto';
import type { RsaPrivateKey } from '@sscard/card-core';

/**
 * The ICC RSA key of a card's debit application, derived deterministically from the keyset's
 * `iccKeySeed`, the PAN and the PAN sequence number (sscard convention). A real card generates
 * its key at personalisation and keeps the private part in the chip; deriving it instead means
 * that a card rebuilt from the same document and keyset is the same card (same ICC certificate,
 * verifiable signatures) without a private key stored in the card document. A document may still
 * carry an explicit `iccKey`, which then wins.
 *
 * The primes are found by a counter-mode HMAC-SHA-256 stream from the seed, stepping by 2 from a
 * candidate with its two top bits set (so the modulus has exactly `bits` bits), tested by OpenSSL.
 */

const EXPONENT = 3n;
const cache = new Map<string, RsaPrivateKey>();

export function deriveIccKey(seedHex: string, pan: string, psn: string, bits = 1024): RsaPrivateKey {
  const cacheKey = `${seedHex}:${pan}:${psn}:${bits}`;
  const cached = cache.get(cacheKey);
  if (cached) return copy(cached);
  const seed = Buffer.from(seedHex, 'hex');
  const p = prime(seed, `${pan}|${psn}|p`, bits / 2);
  let q = prime(seed, `${pan}|${psn}|q`, bits / 2);
  for (let i = 1; q === p; i++) q = prime(seed, `${pan}|${psn}|q${i}`, bits / 2);
  const n = p * q;
  const lambda = lcm(p - 1n, q - 1n);
  const d = modInverse(EXPONENT, lambda);
  const key: RsaPrivateKey = {
    modulus: toBytes(n, bits / 8),
    exponent: Buffer.from([Number(EXPONENT)]),
    privateExponent: toBytes(d, bits / 8),
  };
  cache.set(cacheKey, key);
  return copy(key);
}

function stream(seed: Buffer, label: string, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) {
    blocks.push(createHmac('sha256', seed).update(`${label}|${i}`).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function prime(seed: Buffer, label: string, bits: number): bigint {
  const bytes = stream(seed, label, bits / 8);
  bytes[0]! |= 0xc0;
  bytes[bytes.length - 1]! |= 0x01;
  let candidate = BigInt(`0x${bytes.toString('hex')}`);
  // e = 3 needs gcd(3, p − 1) = 1, that is p ≡ 2 (mod 3).
  while (candidate % 3n !== 2n || !checkPrimeSync(candidate)) candidate += 2n;
  return candidate;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function lcm(a: bigint, b: bigint): bigint {
  return (a / gcd(a, b)) * b;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  if (oldR !== 1n) throw new RangeError('the exponent has no inverse modulo λ(n)');
  return ((oldS % m) + m) % m;
}

function toBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

function copy(key: RsaPrivateKey): RsaPrivateKey {
  return {
    modulus: Buffer.from(key.modulus),
    exponent: Buffer.from(key.exponent),
    privateExponent: Buffer.from(key.privateExponent),
  };
}
