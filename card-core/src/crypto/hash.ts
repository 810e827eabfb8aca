import { createHash } from 'node:crypto';

/** SHA-1: the hash of EMV RSA certificates and signed data (hash algorithm indicator 01). */
export function sha1(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SM3 (GB/T 32905): the hash of the SM2 variant of PBOC (hash algorithm indicator 07). */
export function sm3(...parts: Uint8Array[]): Buffer {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return h.digest();
}
