import {
  type CommandApdu,
  encodeCommand,
  parseCommand,
  parseResponse,
  type ResponseApdu,
  swToHex,
} from './apdu.js';
import { ProtocolError, ValidationError } from './errors.js';
import { INS } from './instructions.js';
import { planCommand, type ReaderLink } from './reader-link.js';

/**
 * The T=0 transport rules of ISO/IEC 7816-3/-4 that surface at the APDU level, in one place:
 * 61xx (response bytes are waiting: fetch them with GET RESPONSE) and 6Cxx (wrong Le: re-send
 * with the length the card names). Card code above this sends logical commands and sees the
 * complete answer; `raw` turns the rules off for tools that want the status words as sent.
 */

/** Sends one command APDU to the card and resolves with its response APDU (data ‖ SW1 SW2). */
export type Transmit = (cmd: Buffer) => Promise<Buffer>;

export interface TransceiveOptions {
  /** GET RESPONSE commands allowed for one command before giving up (T0_CHAIN_TOO_LONG). */
  maxGetResponse?: number;
  /** Return the first response as the card sent it: no GET RESPONSE, no re-send on 6Cxx. */
  raw?: boolean;
  /** CLA of GET RESPONSE; by default derived from the command's class (see `getResponseClass`). */
  getResponseCla?: number;
  /**
   * What the reader carries (its profile's quirks): `planCommand` fits the command to it, GET
   * RESPONSE asks for no more than it returns, and a reader that fetches 61xx data itself
   * (`hostGetResponse: false`) gets no GET RESPONSE from the host. Without it nothing is limited.
   */
  link?: ReaderLink;
  /** The card takes command chaining (CLA b5), for data longer than the link carries in one APDU. */
  chaining?: boolean;
}

export const DEFAULT_MAX_GET_RESPONSE = 32;

/**
 * CLA of the GET RESPONSE that follows a command. For an interindustry class the logical channel
 * is kept and secure messaging and chaining are dropped (ISO/IEC 7816-4 §5.4.1): 0x0C → 00,
 * 0x01 → 01, 0x6D → 4D. A proprietary class (80, 84: PBOC and GlobalPlatform) is answered with
 * 00, as EMV and PBOC specify GET RESPONSE as `00 C0`.
 */
export function getResponseClass(cla: number): number {
  if ((cla & 0x80) !== 0) return 0x00;
  if ((cla & 0x40) !== 0) return 0x40 | (cla & 0x0f);
  return cla & 0x03;
}

function checkOptions(options: TransceiveOptions): { maxGetResponse: number; raw: boolean } {
  const maxGetResponse = options.maxGetResponse ?? DEFAULT_MAX_GET_RESPONSE;
  if (!Number.isInteger(maxGetResponse) || maxGetResponse < 0) {
    throw new ValidationError(
      'T0_OPTIONS',
      `maxGetResponse must be a non-negative integer, got ${String(maxGetResponse)}`,
    );
  }
  if (options.getResponseCla !== undefined) {
    const c = options.getResponseCla;
    if (!Number.isInteger(c) || c < 0 || c > 0xff) {
      throw new ValidationError('T0_OPTIONS', `getResponseCla must be a byte, got ${String(c)}`);
    }
  }
  return { maxGetResponse, raw: options.raw === true };
}

/**
 * Sends a command once, and once more with the corrected Le if the card answers 6Cxx. A second
 * 6Cxx means the card and the terminal disagree about the length for good: ProtocolError.
 */
async function exchange(transmit: Transmit, cmd: CommandApdu, maxLe: number): Promise<ResponseApdu> {
  const first = parseResponse(await transmit(encodeCommand(cmd)));
  return first.sw >> 8 === 0x6c ? resend(transmit, cmd, first, maxLe) : first;
}

/**
 * The re-send after a first 6Cxx answer (`first`), with the Le the card named; a length beyond
 * what the reader returns (`maxLe`) cannot be fetched whole: LINK_RESPONSE_TOO_LONG.
 */
async function resend(
  transmit: Transmit,
  cmd: CommandApdu,
  first: ResponseApdu,
  maxLe: number,
): Promise<ResponseApdu> {
  const le = (first.sw & 0xff) === 0 ? 256 : first.sw & 0xff;
  if (le > maxLe) {
    throw new ProtocolError(
      'LINK_RESPONSE_TOO_LONG',
      `the card has ${le} bytes for a command whose answer the reader returns only up to ${maxLe} bytes`,
      { ins: cmd.ins, le, maxLe },
    );
  }
  const second = parseResponse(await transmit(encodeCommand({ ...cmd, le })));
  if (second.sw >> 8 === 0x6c) {
    throw new ProtocolError(
      'T0_WRONG_LE_REPEATED',
      `the card answered ${swToHex(second.sw)} to a re-sent command`,
      {
        ins: cmd.ins,
        first: swToHex(first.sw),
        second: swToHex(second.sw),
      },
    );
  }
  return second;
}

/**
 * Sends a command and returns the complete response: on 61xx, GET RESPONSE (`CLA C0 00 00 xx`)
 * is sent until the card ends with another status word, and the data of every part is
 * concatenated; on 6Cxx the command is re-sent once with Le = xx. A chain longer than
 * `maxGetResponse` and malformed responses are ProtocolErrors; errors of `transmit` itself (a
 * reader error, a card pulled out) pass through unchanged.
 */
export async function transceive(
  transmit: Transmit,
  cmd: CommandApdu | Uint8Array,
  options: TransceiveOptions = {},
): Promise<ResponseApdu> {
  const { maxGetResponse, raw } = checkOptions(options);
  let command: CommandApdu = cmd instanceof Uint8Array ? parseCommand(cmd) : cmd;
  const link = options.link;
  if (link !== undefined) {
    const { parts } = planCommand(command, link, { chaining: options.chaining === true });
    for (const part of parts.slice(0, -1)) {
      // A card that refuses a chained part ends the command there, with its own status word.
      const answer = parseResponse(await transmit(encodeCommand(part)));
      if (answer.sw !== 0x9000) return answer;
    }
    command = parts[parts.length - 1]!;
  }
  // The first exchange is written out here rather than through `exchange`: most commands end
  // with it, and each awaited layer costs the caller a turn of the event loop's microtasks.
  const first = parseResponse(await transmit(encodeCommand(command)));
  // A reader that does GET RESPONSE itself hands over what the card finally said.
  if (raw || link?.hostGetResponse === false) return first;

  const maxLe = Math.min(256, (link?.maxResponseApdu ?? 258) - 2);
  let res = first.sw >> 8 === 0x6c ? await resend(transmit, command, first, maxLe) : first;
  if (res.sw >> 8 !== 0x61) return res;

  const cla = options.getResponseCla ?? getResponseClass(command.cla);
  const parts: Buffer[] = [];
  let total = 0;
  let fetched = 0;
  while (res.sw >> 8 === 0x61) {
    parts.push(res.data);
    total += res.data.length;
    if (fetched >= maxGetResponse) {
      throw new ProtocolError(
        'T0_CHAIN_TOO_LONG',
        `the card still announced more data after ${fetched} GET RESPONSE commands`,
        { ins: command.ins, maxGetResponse, bytes: total },
      );
    }
    // No more than the reader returns in one response: the card keeps the rest for the next one.
    const le = Math.min((res.sw & 0xff) === 0 ? 256 : res.sw & 0xff, maxLe);
    res = await exchange(transmit, { cla, ins: INS.GET_RESPONSE, p1: 0x00, p2: 0x00, le }, maxLe);
    fetched++;
  }
  parts.push(res.data);
  return { data: Buffer.concat(parts), sw: res.sw };
}
