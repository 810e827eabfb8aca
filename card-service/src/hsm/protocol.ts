import type { Socket } from 'node:net';
import { z } from 'zod';

/**
 * The HSM's host commands and their wire format over its Unix socket.
 *
 * Framing: every message is a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 * Requests are `{id, command, args}`; answers `{id, result}` or `{id, error: {code, message}}`,
 * not necessarily in request order (`id` pairs them). Binary values are upper-case hex. A frame
 * over `MAX_FRAME_BYTES`, or one that is not a request, closes the connection: a peer that breaks
 * the framing cannot be resynchronised.
 *
 * The command set is narrow on purpose, in the manner of a payment HSM's host commands: each
 * answers a yes/no, a cryptogram, a MAC or a re-enciphered PIN block, and none returns a key.
 */

export const MAX_FRAME_BYTES = 1 << 20;

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as hex expected`)
    .transform((s) => s.toUpperCase());
const hexBytes = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}){1,1024}$/, 'hex bytes expected')
  .transform((s) => s.toUpperCase());
const algorithm = z.enum(['3des', 'sm4']);
const cardIdCode = hex(16);
/** One cipher block of the card's algorithm: 8 bytes (3DES) or 16 (SM4). */
const block = z
  .string()
  .regex(/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/, 'one cipher block (8 or 16 bytes) as hex expected')
  .transform((s) => s.toUpperCase());
const pan = z.string().regex(/^\d{12,19}$/, 'a PAN of 12 to 19 digits expected');
const pinBlockFormat = z.union([z.literal(0), z.literal(4)]);
const terminalId = z.string().min(1).max(100);
const pinBlockInput = {
  terminalId,
  format: pinBlockFormat,
  pinBlock: z
    .string()
    .regex(/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/, 'an 8- or 16-byte PIN block as hex expected'),
  pan,
};

export const auditCheckpointSchema = z
  .object({
    seq: z.number().int().min(1),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.string(),
    /** The MAC of the checkpoint before it in the HSM's log; 64 zeros for the first. */
    prevMac: z.string().regex(/^[0-9a-f]{64}$/),
    mac: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type AuditCheckpoint = z.infer<typeof auditCheckpointSchema>;

export const REQUESTS = {
  status: z.object({}).strict(),
  /** EXTERNAL AUTHENTICATE cryptogram (RKSSSE) over a card's 8-byte GET CHALLENGE value. */
  'card.externalAuth': z.object({ algorithm, cardIdCode, challenge: hex(8) }).strict(),
  /** Checks a card's INTERNAL AUTHENTICATE answer over a service challenge: the card-present proof. */
  'card.verifyInternalAuth': z
    .object({ algorithm, cardIdCode, challenge: block, cryptogram: block })
    .strict(),
  /**
   * Verifies an ARQC (PBOC, UDK from the AC master key with PAN and PSN, session key from the ATC)
   * over `data` (the CDOL1 data as `arqcInputData` assembles it) and, only if it verifies, answers
   * the ARPC (method 1) for the authorisation response code `arc`.
   */
  'emv.verifyArqc': z
    .object({
      algorithm,
      pan,
      psn: z.string().regex(/^\d{2}$/),
      atc: hex(2),
      data: hexBytes,
      arqc: hex(8),
      arc: hex(2),
    })
    .strict(),
  /**
   * Verifies a card's second application cryptogram (its TC or AAC) over `data`, with the same
   * session key as the ARQC: the issuer's proof of how the card ended the transaction.
   */
  'emv.verifyAc': z
    .object({
      algorithm,
      pan,
      psn: z.string().regex(/^\d{2}$/),
      atc: hex(2),
      data: hexBytes,
      cryptogram: hex(8),
    })
    .strict(),
  /** Re-enciphers a PIN block from the terminal's PIN key to the zone PIN key as format 0. */
  'pin.translate': z.object(pinBlockInput).strict(),
  /** Checks the PIN in a PIN block against a PIN verification value. */
  'pin.verify': z
    .object({ ...pinBlockInput, pvki: z.number().int().min(0).max(9), pvv: z.string().regex(/^\d{4}$/) })
    .strict(),
  /** The PIN verification value of the PIN in a PIN block, for the issuer's record at PIN selection. */
  'pin.makePvv': z.object({ ...pinBlockInput, pvki: z.number().int().min(0).max(9) }).strict(),
  /**
   * The PIN verification value of the PIN in a format 0 block under the zone PIN key: a PIN the
   * issuer's systems chose or set for an account, as they pass PIN blocks on.
   */
  'pin.zoneMakePvv': z.object({ pinBlock: hex(8), pan, pvki: z.number().int().min(0).max(9) }).strict(),
  /**
   * The RELOAD PIN command's MAC (docs/card-conventions.md): the card's PIN-reload key derived
   * inside the HSM, the card's GET CHALLENGE value as IV, over the new PIN's BCD bytes.
   */
  'card.pinReloadMac': z.object({ algorithm, cardIdCode, challenge: hex(8), newPinBcd: hex(3) }).strict(),
  /**
   * The PIN UNBLOCK command's MAC (docs/card-conventions.md): the same key and IV as RELOAD PIN,
   * over the command's header `84 24 00 00 04`.
   */
  'card.pinUnblockMac': z.object({ algorithm, cardIdCode, challenge: hex(8) }).strict(),
  /**
   * Certifies the audit chain up to `seq` (whose entry hash is `hash`): MACs it chained to the
   * previous checkpoint and appends it to the HSM's own checkpoint log before answering.
   */
  'audit.checkpoint': z
    .object({ seq: z.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/) })
    .strict(),
  /** Which of the given checkpoints carry a MAC that is not the HSM's (their indexes). */
  'audit.checkMacs': z.object({ checkpoints: z.array(auditCheckpointSchema).max(1000) }).strict(),
} as const;

export type HsmCommand = keyof typeof REQUESTS;
export type HsmRequest<C extends HsmCommand> = z.input<(typeof REQUESTS)[C]>;

export interface HsmResults {
  status: { keysetCreatedAt: string; issuerKeysetCreatedAt: string; lastCheckpointSeq: number };
  'card.externalAuth': { cryptogram: string };
  'card.verifyInternalAuth': { verified: boolean };
  'emv.verifyArqc': { verified: true; arpc: string } | { verified: false };
  'emv.verifyAc': { verified: boolean };
  'pin.translate': { pinBlock: string; format: 0 };
  'pin.verify': { verified: boolean };
  'pin.makePvv': { pvv: string };
  'pin.zoneMakePvv': { pvv: string };
  'card.pinReloadMac': { mac: string };
  'card.pinUnblockMac': { mac: string };
  'audit.checkpoint': { checkpoint: AuditCheckpoint };
  'audit.checkMacs': { invalid: number[] };
}

export type HsmResult<C extends HsmCommand> = HsmResults[C];

/** Error codes an HSM answers with; each is a refusal of one request, the connection stays. */
export type HsmErrorCode =
  | 'BAD_REQUEST'
  | 'UNKNOWN_COMMAND'
  /** A PIN block that does not decipher to a well-formed block for that account under that key. */
  | 'PIN_BLOCK_INVALID'
  /** The chain is behind the last checkpoint: another process certified further, or the database went back. */
  | 'CHECKPOINT_BEHIND'
  /** Another hash at a seq already certified: the chain was rewritten. */
  | 'CHECKPOINT_FORK'
  | 'INTERNAL';

export interface HsmRequestFrame {
  id: number;
  command: string;
  args: unknown;
}

export type HsmAnswerFrame =
  | { id: number; result: unknown }
  | { id: number; error: { code: HsmErrorCode; message: string } };

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) throw new Error(`HSM frame of ${body.length} bytes is over the limit`);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/**
 * Cuts a byte stream into frames. `push` returns the complete messages received so far and throws
 * on a frame over the limit or one that is not JSON.
 */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): unknown[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: unknown[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new Error(`HSM frame of ${length} bytes is over the limit`);
      if (this.buffered.length < 4 + length) break;
      const body = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      messages.push(JSON.parse(body.toString('utf8')));
    }
    return messages;
  }
}

/**
 * Hands each frame that arrives on the socket to `onFrame`, in order. A chunk that breaks the
 * framing goes to `onBadFrame` instead, and none of its frames are handed on: after a bad frame
 * the stream cannot be trusted to be in step, so the caller drops the connection.
 */
export function readFrames(
  socket: Socket,
  onFrame: (frame: unknown) => void,
  onBadFrame: (why: string) => void,
): void {
  const decoder = new FrameDecoder();
  socket.on('data', (chunk: Buffer) => {
    let frames: unknown[];
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      onBadFrame((e as Error).message);
      return;
    }
    for (const frame of frames) onFrame(frame);
  });
}
