import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError } from '../errors.js';

/**
 * Block ciphers of the card: single DES (legacy PSAM keys, the first stage of the retail MAC),
 * two- and three-key triple DES (generation 2 cards, PBOC), SM4 (generation 3 cards, PBOC SM).
 *
 * OpenSSL 3 keeps single DES in its legacy provider, which Node does not load. Single DES is
 * computed as two-key EDE with K1 = K2 (E_K(D_K(E_K(x))) = E_K(x)), so it never depends on how
 * OpenSSL was built or configured.
 *
 * Nothing here pads: card cryptograms and MACs define their own padding (see padding.ts), and a
 * silent PKCS#7 block would produce a cryptogram no card accepts.
 */
export type Algorithm = 'des' | '3des' | 'sm4';

export type CipherMode = 'ecb' | 'cbc';

export interface CipherOptions {
  mode: CipherMode;
  /** CBC only; one block, all zeros when omitted (the initial value card MACs and cryptograms use). */
  iv?: Uint8Array;
}

export function blockSize(alg: Algorithm): 8 | 16 {
  return alg === 'sm4' ? 16 : 8;
}

export function encrypt(alg: Algorithm, key: Uint8Array, data: Uint8Array, options: CipherOptions): Buffer {
  return run(true, alg, key, data, options);
}

export function decrypt(alg: Algorithm, key: Uint8Array, data: Uint8Array, options: CipherOptions): Buffer {
  return run(false, alg, key, data, options);
}

/** Checks that a key has a length the algorithm accepts; throws `CryptoError` `KEY_LENGTH` otherwise. */
export function checkKey(alg: Algorithm, key: Uint8Array): void {
  const ok =
    alg === 'des'
      ? key.length === 8
      : alg === '3des'
        ? key.length === 16 || key.length === 24
        : key.length === 16;
  if (!ok) {
    const expected = alg === 'des' ? '8' : alg === '3des' ? '16 or 24' : '16';
    throw new CryptoError('KEY_LENGTH', `a ${alg} key has ${expected} bytes, not ${key.length}`, {
      algorithm: alg,
      length: key.length,
    });
  }
}

function run(
  forward: boolean,
  alg: Algorithm,
  key: Uint8Array,
  data: Uint8Array,
  options: CipherOptions,
): Buffer {
  checkKey(alg, key);
  const block = blockSize(alg);
  if (data.length % block !== 0) {
    throw new CryptoError(
      'DATA_NOT_BLOCK_ALIGNED',
      `${alg} data must be whole ${block}-byte blocks, got ${data.length} bytes`,
      {
        algorithm: alg,
        length: data.length,
      },
    );
  }
  let iv: Uint8Array | null = null;
  if (options.mode === 'cbc') {
    iv = options.iv ?? Buffer.alloc(block);
    if (iv.length !== block) {
      throw new CryptoError('IV_LENGTH', `a ${alg} IV is one ${block}-byte block, not ${iv.length} bytes`, {
        algorithm: alg,
        length: iv.length,
      });
    }
  } else if (options.iv !== undefined) {
    throw new CryptoError('IV_UNEXPECTED', 'ECB takes no IV');
  }
  const [name, opensslKey] = openssl(alg, key, options.mode);
  const cipher = forward ? createCipheriv(name, opensslKey, iv) : createDecipheriv(name, opensslKey, iv);
  cipher.setAutoPadding(false);
  const out = Buffer.concat([cipher.update(data), cipher.final()]);
  if (opensslKey !== key) opensslKey.fill(0);
  return out;
}

function openssl(alg: Algorithm, key: Uint8Array, mode: CipherMode): [string, Uint8Array] {
  switch (alg) {
    case 'des':
      return [`des-ede-${mode}`, Buffer.concat([key, key])];
    case '3des':
      return [key.length === 16 ? `des-ede-${mode}` : `des-ede3-${mode}`, key];
    case 'sm4':
      return [`sm4-${mode}`, key];
  }
}
