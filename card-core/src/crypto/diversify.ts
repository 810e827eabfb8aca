import { complement, concat } from '../bytes.js';
import { CryptoError } from '../errors.js';
import { encrypt } from './cipher.js';

/**
 * Key diversification of the social security card (DESIGN.md §6, docs/card-conventions.md):
 * a per-card key derived from a master key and 8 bytes of diversification data D.
 *   3DES: left = E(MK, D), right = E(MK, ¬D)  (a 16-byte two-key 3DES key)
 *   SM4:  K = E(MK, D‖¬D)
 * Both are one ECB encryption per block, so the card and the PSAM/HSM derive the same key.
 * Parity bits are left as computed: DES ignores them and the card stores the key as derived.
 */
export function diversifyKey(alg: '3des' | 'sm4', masterKey: Uint8Array, d8: Uint8Array): Buffer {
  if (d8.length !== 8) {
    throw new CryptoError('DIVERSIFICATION_DATA_LENGTH', `diversification data is 8 bytes, not ${d8.length}`);
  }
  const notD = complement(d8);
  if (alg === '3des') {
    return concat(
      encrypt('3des', masterKey, d8, { mode: 'ecb' }),
      encrypt('3des', masterKey, notD, { mode: 'ecb' }),
    );
  }
  return encrypt('sm4', masterKey, concat(d8, notD), { mode: 'ecb' });
}

/**
 * Multi-level diversification (province → city → card): each level's key is the master key of the
 * next. The intermediate keys are wiped; only the last one is returned.
 */
export function diversifyKeyPath(
  alg: '3des' | 'sm4',
  masterKey: Uint8Array,
  path: readonly Uint8Array[],
): Buffer {
  if (path.length === 0) {
    throw new CryptoError('DIVERSIFICATION_PATH_EMPTY', 'at least one diversification level is needed');
  }
  let key: Buffer | undefined;
  for (const d of path) {
    const next = diversifyKey(alg, key ?? masterKey, d);
    key?.fill(0);
    key = next;
  }
  return key!;
}
