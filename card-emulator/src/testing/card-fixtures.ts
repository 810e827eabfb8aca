import { fromHex, parseResponse, toHex } from '@sscard/card-core';
import type { VirtualCard } from '../virtual-card.js';
import { generateKeyset, type IssuerKeyset } from '../cards/keyset.js';

/** Shared by the card tests: one keyset per test process, since RSA generation is the slow part. */
let keyset: IssuerKeyset | undefined;
export function testKeyset(): IssuerKeyset {
  keyset ??= generateKeyset({ now: new Date('2024-01-01T00:00:00Z') });
  return keyset;
}

export interface Exchange {
  data: Buffer;
  /** Status word as 4 upper-case hex digits, the way the specs print it. */
  sw: string;
}

/** Sends a command written as hex (spaces allowed) and splits the answer. */
export function send(card: VirtualCard, hex: string | Buffer): Exchange {
  const command = typeof hex === 'string' ? fromHex(hex) : hex;
  const res = parseResponse(card.transmit(command));
  return { data: res.data, sw: toHex(Buffer.from([res.sw >> 8, res.sw & 0xff])) };
}

/** Hex of a command built from parts: header bytes and data, with Lc, and an optional Le. */
export function apdu(header: string, data?: Uint8Array, le?: number): Buffer {
  const parts = [fromHex(header)];
  if (data && data.length > 0) parts.push(Buffer.from([data.length]), Buffer.from(data));
  if (le !== undefined) parts.push(Buffer.from([le & 0xff]));
  return Buffer.concat(parts);
}

export const SSSE_SELECT = '00A404000F7378312E73682EC9E7BBE1B1A3D5CF';

/**
 * SELECT of the social security application as a terminal completes it: `9000`, or `611E` and
 * the FCI through GET RESPONSE. Throws unless the card answers one of the two.
 */
export function selectSsse(card: VirtualCard): void {
  const { sw } = send(card, SSSE_SELECT);
  if (sw === '9000') return;
  if (sw !== '611E') throw new Error(`SELECT of the social security application answered ${sw}`);
  const fci = send(card, '00C000001E');
  if (fci.sw !== '9000' || fci.data[0] !== 0x6f)
    throw new Error(`GET RESPONSE after 611E answered ${fci.sw}`);
}

/** A fixed GET CHALLENGE source, so that test exchanges can be replayed byte for byte. */
export function countingRandom(): (length: number) => Buffer {
  let n = 0;
  return (length) => Buffer.alloc(length, ++n);
}
