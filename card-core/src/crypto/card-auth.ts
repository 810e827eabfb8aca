import { CryptoError } from '../errors.js';
import { blockSize, encrypt } from './cipher.js';
import { diversifyKey } from './diversify.js';

/**
 * Authentication cryptograms of the social security application (docs/card-conventions.md):
 * the card key is diversified from a master key with the card identification code, and each
 * cryptogram is one ECB block under that key.
 */

export type CardAlgorithm = '3des' | 'sm4';

const CARD_ID_LENGTH = 16;

/** One cipher block: the challenge of INTERNAL AUTHENTICATE and the EXTERNAL AUTHENTICATE cryptogram (8 for 3DES, 16 for SM4). */
export function authBlockSize(alg: CardAlgorithm): 8 | 16 {
  return blockSize(alg);
}

/** INTERNAL AUTHENTICATE: E(K_internalAuth, R) where R is the terminal's one-block challenge. */
export function internalAuthCryptogram(
  alg: CardAlgorithm,
  cardKey: Uint8Array,
  challenge: Uint8Array,
): Buffer {
  const size = authBlockSize(alg);
  if (challenge.length !== size) {
    throw new CryptoError(
      'CHALLENGE_LENGTH',
      `an internal authentication challenge for ${alg} has ${size} bytes, not ${challenge.length}`,
    );
  }
  return encrypt(alg, cardKey, challenge, { mode: 'ecb' });
}

/**
 * The block a card encrypts for a payment proof (INTERNAL AUTHENTICATE with P1 = 01): the
 * challenge's complement ¬R. The card answers it only in a session where VERIFY succeeded, so a
 * cryptogram over ¬R proves both that the card is present and that its holder's PIN was verified by
 * the card; a plain answer over R proves presence only and is refused for a payment.
 */
export function paymentProofBlock(challenge: Uint8Array): Buffer {
  const block = Buffer.from(challenge);
  for (let i = 0; i < block.length; i++) block[i] = block[i]! ^ 0xff;
  return block;
}

/** EXTERNAL AUTHENTICATE: E(K_externalAuth, challenge‖00…00 to one block), challenge from GET CHALLENGE (8 bytes). */
export function externalAuthCryptogram(
  alg: CardAlgorithm,
  cardKey: Uint8Array,
  challenge8: Uint8Array,
): Buffer {
  if (challenge8.length !== 8) {
    throw new CryptoError(
      'CHALLENGE_LENGTH',
      `the GET CHALLENGE value has 8 bytes, not ${challenge8.length}`,
    );
  }
  return encrypt(alg, cardKey, challengeBlock(alg, challenge8), { mode: 'ecb' });
}

/**
 * A GET CHALLENGE value padded with zeros to one block: the plaintext of EXTERNAL AUTHENTICATE and
 * the IV of the PIN reload and secure-messaging MACs.
 */
export function challengeBlock(alg: CardAlgorithm, challenge: Uint8Array): Buffer {
  const size = authBlockSize(alg);
  if (challenge.length === 0 || challenge.length > size) {
    throw new CryptoError(
      'CHALLENGE_LENGTH',
      `a challenge for ${alg} has 1 to ${size} bytes, not ${challenge.length}`,
    );
  }
  const block = Buffer.alloc(size);
  block.set(challenge);
  return block;
}

/**
 * The card's key for one usage: the master key diversified with D = the last 8 bytes (the issuer
 * bytes) of the 16-byte card identification code. The same rule as `diversificationData` in
 * ssse/card-id.ts, kept local so that crypto does not depend on the SSSE data model.
 */
export function ssseCardKey(alg: CardAlgorithm, masterKey: Uint8Array, cardIdCode: Uint8Array): Buffer {
  if (cardIdCode.length !== CARD_ID_LENGTH) {
    throw new CryptoError(
      'CARD_ID_LENGTH',
      `the card identification code has ${CARD_ID_LENGTH} bytes, not ${cardIdCode.length}`,
    );
  }
  return diversifyKey(alg, masterKey, cardIdCode.subarray(CARD_ID_LENGTH - 8));
}

/**
 * What the MAC of PIN UNBLOCK `84 24 00 00 04 <MAC>` covers: the command's header, Lc included
 * (docs/card-conventions.md, sscard convention). A fresh copy each time: callers may wipe it.
 */
export function pinUnblockMacInput(): Buffer {
  return Buffer.from([0x84, 0x24, 0x00, 0x00, 0x04]);
}
