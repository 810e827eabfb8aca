import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { CryptoError } from '../errors.js';

/**
 * Raw RSA (no padding) for EMV offline data authentication, where the "padding" is the EMV
 * recovered-data format (6A … BC) checked by emv-oda.ts. Keys are plain byte fields so that they
 * can be stored as hex JSON and handed to an HSM unchanged.
 */
export interface RsaPublicKey {
  /** Big-endian modulus, no leading zero byte: its length is the key length N in bytes. */
  modulus: Buffer;
  /** Big-endian public exponent: 03 or 010001. */
  exponent: Buffer;
}

export interface RsaPrivateKey extends RsaPublicKey {
  privateExponent: Buffer;
}

const { BigInteger } = forge.jsbn;

// forge's raw RSA primitive; its type declarations omit it.
const rawRsa = forge.pki.rsa as unknown as {
  decrypt(data: string, key: forge.pki.rsa.PublicKey, pub: true, unpad: false): string;
};

/**
 * The public operation s^e mod n: recovers the data an EMV signature or certificate carries.
 * forge's raw decrypt rejects an input whose length is not the modulus length or whose value is
 * not below the modulus, which is what a terminal must do (DESIGN.md §6).
 */
export function rsaRecover(key: RsaPublicKey, signature: Uint8Array): Buffer {
  checkPublic(key);
  const pub = forge.pki.setRsaPublicKey(big(key.modulus), big(key.exponent));
  try {
    const out = rawRsa.decrypt(Buffer.from(signature).toString('binary'), pub, true, false);
    return Buffer.from(out, 'binary');
  } catch (e) {
    throw new CryptoError(
      'RSA_INPUT_INVALID',
      `the signature does not fit the ${key.modulus.length}-byte key`,
      {
        length: signature.length,
        keyLength: key.modulus.length,
      },
      { cause: e },
    );
  }
}

/** The private operation m^d mod n over a block of exactly the key length whose value is below the modulus. */
export function rsaSign(key: RsaPrivateKey, block: Uint8Array): Buffer {
  checkPublic(key);
  const k = key.modulus.length;
  if (block.length !== k) {
    throw new CryptoError('RSA_INPUT_INVALID', `an RSA block has ${k} bytes, not ${block.length}`);
  }
  const n = big(key.modulus);
  const m = big(block);
  if (m.compareTo(n) >= 0) {
    throw new CryptoError('RSA_INPUT_INVALID', 'the block is not below the modulus');
  }
  const hex = m.modPow(big(key.privateExponent), n).toString(16);
  return Buffer.from(hex.padStart(k * 2, '0'), 'hex');
}

/**
 * Generates a key pair for the issuing side (CA, issuer, ICC keys of virtual cards and tests),
 * with OpenSSL through Node: much faster than a JavaScript prime search.
 */
export function generateRsaKey(bits: number, exponent: 3 | 65537): RsaPrivateKey {
  if (!Number.isInteger(bits) || bits < 512 || bits > 4096 || bits % 8 !== 0) {
    throw new CryptoError('RSA_KEY_SIZE', `an RSA key has 512 to 4096 bits in whole bytes, not ${bits}`);
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: exponent });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    modulus: Buffer.from(jwk.n!, 'base64url'),
    exponent: Buffer.from(jwk.e!, 'base64url'),
    privateExponent: Buffer.from(jwk.d!, 'base64url'),
  };
}

/** The public half of a key pair. */
export function publicKeyOf(key: RsaPublicKey): RsaPublicKey {
  return { modulus: Buffer.from(key.modulus), exponent: Buffer.from(key.exponent) };
}

function checkPublic(key: RsaPublicKey): void {
  if (key.modulus.length < 64 || key.modulus[0] === 0) {
    throw new CryptoError(
      'RSA_KEY_INVALID',
      'the modulus is shorter than 512 bits or has a leading zero byte',
    );
  }
  if (key.exponent.length === 0 || key.exponent.length > 3) {
    throw new CryptoError('RSA_KEY_INVALID', 'an EMV public exponent has 1 to 3 bytes');
  }
}

function big(bytes: Uint8Array): forge.jsbn.BigInteger {
  return new BigInteger(Buffer.from(bytes).toString('hex'), 16);
}
