import { type ParsedCommandApdu, SW, correctLeSw, moreDataSw } from '@sscard/card-core';

/** What a command handler answers: response data and the status word. */
export interface Reply {
  data: Buffer;
  sw: number;
}

export type Command = ParsedCommandApdu;

export function status(sw: number): Reply {
  return { data: Buffer.alloc(0), sw };
}

export function success(data: Uint8Array = Buffer.alloc(0)): Reply {
  return { data: Buffer.from(data), sw: SW.SUCCESS };
}

/** Response data waiting for GET RESPONSE, announced with 61xx. */
export interface PendingReply extends Reply {
  pending: Buffer;
}

/** 61xx: the data waits at the card for GET RESPONSE. */
export function moreData(data: Buffer): PendingReply {
  return { data: Buffer.alloc(0), sw: moreDataSw(data.length), pending: data };
}

export function isPending(reply: Reply): reply is PendingReply {
  return 'pending' in reply;
}

/**
 * Answers `data` the way a T=0 card does with the command's Le (the ATR offers T=0 only):
 * - Le = the data length, or Le = 00 (256): the data and 9000;
 * - another Le: 6Cxx with the right length, nothing else happens;
 * - no Le on a command that carried data (case 3, which is how T=0 sends case 4): 61xx and the
 *   data waits for GET RESPONSE;
 * - no Le and no data (case 1): 6Cxx, as for a wrong P3.
 */
export function dataReply(cmd: Command, data: Buffer): Reply {
  if (data.length === 0) return success();
  if (cmd.le === undefined) {
    if (cmd.data.length > 0) return moreData(data);
    return status(correctLeSw(data.length));
  }
  if (cmd.le === 256 || cmd.le === data.length) return success(data);
  return status(correctLeSw(data.length));
}
