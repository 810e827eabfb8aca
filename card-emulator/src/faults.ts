import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { INS, ValidationError } from '@sscard/card-core';
import type { SlotCard } from './slot-card.js';
import type { VirtualCard } from './virtual-card.js';

/**
 * Faults a card or its reader can show, injected per slot by the control API so that terminals
 * are tested against them on the real PC/SC and serial stacks:
 *
 * - `mute`: the card never answers an APDU (vpcd then blocks until the card is removed; a serial
 *   reader answers "card mute" after its timeout).
 * - `garbage`: 1–3 random bytes that are not a valid response APDU.
 * - `huge-length`: a response of 65 533 data bytes and 9000, the largest a vpcd frame carries;
 *   more than any short-APDU reader buffer.
 * - `endless-61xx`: every command, GET RESPONSE included, answers 61FF with no end.
 * - `slow`: each APDU answers after `delayMs` (default 3000).
 * - `realistic-latency`: each APDU takes the time it would on real contacts at 9600 baud T=0
 *   (see `realisticLatencyMs`).
 * - `disconnect`: at the next APDU the reader link drops without answering (the vpcd socket
 *   closes; the slot reconnects by itself, so PC/SC sees the card leave and come back).
 */
export const FAULT_KINDS = [
  'none',
  'mute',
  'garbage',
  'huge-length',
  'endless-61xx',
  'slow',
  'realistic-latency',
  'disconnect',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** `slow`: delay per APDU. */
  delayMs?: number;
  /** `realistic-latency`: a fixed card processing time instead of the per-instruction table. */
  processingMs?: number;
}

export const NO_FAULT: Fault = { kind: 'none' };

export function parseFault(input: unknown): Fault {
  const value = (typeof input === 'string' ? { kind: input } : input) as Partial<Fault> | null;
  if (!value || typeof value !== 'object' || !FAULT_KINDS.includes(value.kind as FaultKind)) {
    throw new ValidationError('FAULT_KIND', `fault kind must be one of ${FAULT_KINDS.join(', ')}`, {
      kinds: FAULT_KINDS,
    });
  }
  for (const key of ['delayMs', 'processingMs'] as const) {
    const v = value[key];
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 600_000)) {
      throw new ValidationError('FAULT_PARAMETER', `${key} must be an integer number of milliseconds`);
    }
  }
  const fault: Fault = { kind: value.kind as FaultKind };
  if (value.delayMs !== undefined) fault.delayMs = value.delayMs;
  if (value.processingMs !== undefined) fault.processingMs = value.processingMs;
  return fault;
}

/** 10 bits a character at 9600 baud; T=0's guard time is in the same order and folded in. */
export const MS_PER_BYTE_9600 = 10_000 / 9600;

/**
 * Card processing time by instruction, ms: what contact cards of this class take for EEPROM
 * writes and on-card cryptography. Published timing is vendor data; these are sscard's choice,
 * in the order of magnitude reported for 3DES/SM4 smart cards.
 */
const PROCESSING_MS: Record<number, number> = {
  32: 15, // VERIFY: PIN compare and retry-counter write
  94: 25, // CHANGE/RELOAD PIN: EEPROM write
  130: 20, // EXTERNAL AUTHENTICATE
  132: 5, // GET CHALLENGE
  136: 20, // INTERNAL AUTHENTICATE
  174: 60, // GENERATE AC (MAC and counter write)
  220: 25, // UPDATE RECORD
};
const DEFAULT_PROCESSING_MS = 3;

/**
 * Time of one APDU on T=0 at 9600 baud: the 5-byte header; the procedure byte and Lc data for a
 * command with data; the procedure byte and data for a response with data; SW1 SW2; plus the
 * card's processing time.
 */
export function realisticLatencyMs(command: Buffer, response: Buffer, processingMs?: number): number {
  const lc = command.length > 5 ? command[4]! : 0;
  const responseData = Math.max(0, response.length - 2);
  const bytes = 5 + (lc > 0 ? 1 + lc : 0) + (responseData > 0 ? 1 + responseData : 0) + 2;
  const processing = processingMs ?? PROCESSING_MS[command[1] ?? 0] ?? DEFAULT_PROCESSING_MS;
  return bytes * MS_PER_BYTE_9600 + processing;
}

/** Whatever the card does, a reader gets a response: a card OS bug must look like a card error, not crash the reader. */
function safeTransmit(card: VirtualCard, command: Buffer): Buffer {
  try {
    return card.transmit(command);
  } catch {
    return Buffer.from([0x6f, 0x00]);
  }
}

function garbage(): Buffer {
  const bytes = randomBytes(1 + (randomBytes(1)[0]! % 3));
  // SW1 must be neither 6x nor 9x, so a 2- or 3-byte garbage never reads as a status word.
  if (bytes.length >= 2) bytes[bytes.length - 2] = bytes[bytes.length - 2]! & 0x3f;
  return bytes;
}

/** A VirtualCard in a slot, answering through whatever fault the slot currently has. */
export class CardWithFaults implements SlotCard {
  readonly atr: Buffer;
  fault: Fault = NO_FAULT;

  constructor(readonly card: VirtualCard) {
    // The card's ATR is defined while powered; a reader learns it once at insertion.
    this.atr = Buffer.from(card.powerOn());
    card.powerOff();
  }

  get id(): string {
    return this.card.id;
  }

  powerOn(): Buffer {
    return this.card.powerOn();
  }

  reset(): Buffer {
    return this.card.reset();
  }

  powerOff(): void {
    this.card.powerOff();
  }

  takeLinkDrop(): boolean {
    if (this.fault.kind !== 'disconnect') return false;
    this.fault = NO_FAULT;
    return true;
  }

  async exchange(command: Buffer): Promise<Buffer | undefined> {
    const fault = this.fault;
    switch (fault.kind) {
      case 'mute':
      case 'disconnect':
        return undefined;
      case 'garbage':
        return garbage();
      case 'huge-length':
        return Buffer.concat([Buffer.alloc(0xffff - 2, 0x5a), Buffer.from([0x90, 0x00])]);
      case 'endless-61xx': {
        const isGetResponse = command[1] === INS.GET_RESPONSE;
        return Buffer.concat([Buffer.alloc(isGetResponse ? 0xff : 0), Buffer.from([0x61, 0xff])]);
      }
      case 'slow': {
        await sleep(fault.delayMs ?? 3000);
        return safeTransmit(this.card, command);
      }
      case 'realistic-latency': {
        const response = safeTransmit(this.card, command);
        await sleep(realisticLatencyMs(command, response, fault.processingMs));
        return response;
      }
      case 'none':
        return safeTransmit(this.card, command);
    }
  }
}
