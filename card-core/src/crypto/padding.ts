import { CryptoError } from '../errors.js';

/**
 * ISO/IEC 9797-1 padding. Method 2 (one 80 byte, then 00 bytes to a whole block, always at least
 * one byte) is the padding of every card MAC and PBOC application cryptogram; method 1 (00 bytes
 * only) is ambiguous about trailing zeros, so it is only used where the data length is fixed.
 */

/** Appends 80 and then 00 bytes up to a multiple of `block`; a whole block is added to aligned data. */
export function padMethod2(data: Uint8Array, block: number): Buffer {
  checkBlock(block);
  const padded = Buffer.alloc((Math.floor(data.length / block) + 1) * block);
  padded.set(data);
  padded[data.length] = 0x80;
  return padded;
}

/** Removes method 2 padding; anything but 80 00… within the last block is an error. */
export function unpadMethod2(data: Uint8Array, block: number): Buffer {
  checkBlock(block);
  if (data.length === 0 || data.length % block !== 0) {
    throw new CryptoError(
      'PADDING_INVALID',
      `method 2 padded data is whole ${block}-byte blocks, got ${data.length} bytes`,
    );
  }
  let i = data.length - 1;
  const stop = data.length - block;
  while (i >= stop && data[i] === 0x00) i--;
  if (i < stop || data[i] !== 0x80) {
    throw new CryptoError('PADDING_INVALID', 'no 80 marker in the last block');
  }
  return Buffer.from(data.subarray(0, i));
}

/**
 * Appends 00 bytes up to a multiple of `block`; aligned data is returned unchanged, and empty data
 * becomes one zero block (ISO/IEC 9797-1:2011).
 */
export function padMethod1(data: Uint8Array, block: number): Buffer {
  checkBlock(block);
  const blocks = Math.max(1, Math.ceil(data.length / block));
  const padded = Buffer.alloc(blocks * block);
  padded.set(data);
  return padded;
}

function checkBlock(block: number): void {
  if (block !== 8 && block !== 16) {
    throw new CryptoError('BLOCK_SIZE', `block size is 8 or 16, not ${block}`);
  }
}
