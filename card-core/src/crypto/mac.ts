import { timingSafeEqual } from 'node:crypto';
import { xor } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { blockSize, encrypt } from './cipher.js';
import { padMethod2 } from './padding.js';

/**
 * The MACs the card and PBOC use. All pad with ISO/IEC 9797-1 method 2 and start from a zero IV
 * unless the command defines one (the GET CHALLENGE value for PIN reload and secure messaging).
 */

/**
 * ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC", also the PBOC MAC): single-DES CBC under K1 over
 * every block, then the last block is decrypted under K2 and encrypted under K1. The final step
 * equals one two-key 3DES encryption of the last chained block, which is how it is computed here.
 */
export function retailMac(key16: Uint8Array, data: Uint8Array, iv?: Uint8Array): Buffer {
  if (key16.length !== 16) {
    throw new CryptoError('KEY_LENGTH', `the retail MAC key has 16 bytes, not ${key16.length}`);
  }
  const padded = padMethod2(data, 8);
  const head = padded.subarray(0, padded.length - 8);
  const last = padded.subarray(padded.length - 8);
  let chain: Buffer = iv === undefined ? Buffer.alloc(8) : Buffer.from(iv);
  if (chain.length !== 8)
    throw new CryptoError('IV_LENGTH', `the retail MAC IV has 8 bytes, not ${chain.length}`);
  if (head.length > 0) {
    const k1 = key16.subarray(0, 8);
    chain = encrypt('des', k1, head, { mode: 'cbc', iv: chain }).subarray(head.length - 8);
  }
  return encrypt('3des', key16, xor(chain, last), { mode: 'ecb' });
}

/** ISO/IEC 9797-1 MAC algorithm 1 with single DES (CBC-MAC, the last block is the MAC). */
export function desMac(key8: Uint8Array, data: Uint8Array, iv?: Uint8Array): Buffer {
  return cbcMac('des', key8, data, iv);
}

/** SM4 CBC-MAC (ISO/IEC 9797-1 algorithm 1 with SM4): the last 16-byte chained block. */
export function sm4CbcMac(key16: Uint8Array, data: Uint8Array, iv?: Uint8Array): Buffer {
  return cbcMac('sm4', key16, data, iv);
}

/** The 4-byte MAC the card appends to PIN reload and secure-messaging commands. */
export function cardMac(alg: '3des' | 'sm4', key: Uint8Array, data: Uint8Array, iv?: Uint8Array): Buffer {
  const full = alg === '3des' ? retailMac(key, data, iv) : sm4CbcMac(key, data, iv);
  return full.subarray(0, 4);
}

/**
 * The one block whose ECB encryption under the card's key is `cardMac` of `data` shorter than a
 * block: IV ⊕ data padded (method 2). A PSAM, which only encrypts blocks, makes the MACs of RELOAD
 * PIN and PIN UNBLOCK from it (for 3DES the retail MAC of one block is one 3DES encryption).
 */
export function singleBlockMacInput(alg: '3des' | 'sm4', data: Uint8Array, iv: Uint8Array): Buffer {
  const size = alg === '3des' ? 8 : 16;
  if (data.length >= size) {
    throw new CryptoError(
      'MAC_INPUT_LENGTH',
      `one ${alg} block takes fewer than ${size} bytes of data, not ${data.length}`,
    );
  }
  if (iv.length !== size)
    throw new CryptoError('IV_LENGTH', `the ${alg} MAC IV has ${size} bytes, not ${iv.length}`);
  return xor(Buffer.from(iv), padMethod2(data, size));
}

/**
 * Checks a received card MAC (4 bytes up to a whole block, compared against the same number of
 * leading bytes of the computed MAC) in constant time.
 */
export function verifyMac(
  alg: '3des' | 'sm4',
  key: Uint8Array,
  data: Uint8Array,
  mac: Uint8Array,
  iv?: Uint8Array,
): boolean {
  const full = alg === '3des' ? retailMac(key, data, iv) : sm4CbcMac(key, data, iv);
  if (mac.length < 4 || mac.length > full.length) {
    throw new CryptoError('MAC_LENGTH', `a MAC has 4 to ${full.length} bytes, not ${mac.length}`);
  }
  return constantTimeEqual(full.subarray(0, mac.length), mac);
}

/** Equality that takes the same time wherever the first difference is; different lengths are unequal. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function cbcMac(alg: 'des' | 'sm4', key: Uint8Array, data: Uint8Array, iv: Uint8Array | undefined): Buffer {
  const block = blockSize(alg);
  const out = encrypt(
    alg,
    key,
    padMethod2(data, block),
    iv === undefined ? { mode: 'cbc' } : { mode: 'cbc', iv },
  );
  return Buffer.from(out.subarray(out.length - block));
}
