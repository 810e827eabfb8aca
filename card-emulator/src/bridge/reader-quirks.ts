import { CLA, INS, parseCommand, type ReaderLink } from '@sscard/card-core';
import { type SlotCard, SlotCardWrapper } from '../slot-card.js';

/** What an emulated reader refused to carry: the host sent what the reader's profile says it cannot. */
export interface ReaderRefusal {
  reason: 'extended-apdu' | 'command-too-long' | 'response-too-long';
  command: string;
  length: number;
}

/** Wrong length: what a CCID reader's short-APDU firmware answers for a transfer it cannot make. */
const WRONG_LENGTH = Buffer.from([0x67, 0x00]);
const MAX_READER_GET_RESPONSE = 32;

/**
 * The reader between a vpcd slot and its card, with the limits of a reader profile
 * (firmware-profiles' PC/SC reader quirks): a reader without extended APDUs, with short command
 * and response buffers, or one that fetches 61xx data itself (APDU-level exchange) and hands the
 * host whole responses. A command or response the reader cannot carry is answered `6700` and
 * recorded in `refusals`, so a test sees that the host sent it at all.
 */
export class QuirkyReaderSlotCard extends SlotCardWrapper {
  readonly refusals: ReaderRefusal[] = [];
  /** Every command the host sent the reader, upper-case hex. */
  readonly fromHost: string[] = [];
  /** Every command the card itself received, upper-case hex: the reader's own GET RESPONSEs included. */
  readonly toCard: string[] = [];

  constructor(
    inner: SlotCard,
    readonly link: ReaderLink,
  ) {
    super(inner);
  }

  override async exchange(command: Buffer): Promise<Buffer | undefined> {
    const hex = command.toString('hex').toUpperCase();
    this.fromHost.push(hex);
    let extended = false;
    try {
      extended = parseCommand(command).extended;
    } catch {
      // Not a command: the card answers it as a card does.
    }
    if (extended && !this.link.extendedApdu) return this.refuse('extended-apdu', hex, command.length);
    if (command.length > this.link.maxCommandApdu)
      return this.refuse('command-too-long', hex, command.length);

    let response = await this.toTheCard(command);
    if (response && !this.link.hostGetResponse) response = await this.completeForTheHost(command, response);
    if (response && response.length > this.link.maxResponseApdu) {
      return this.refuse('response-too-long', hex, response.length);
    }
    return response;
  }

  /** APDU-level exchange: the reader re-sends after 6Cxx and collects 61xx data with GET RESPONSE. */
  private async completeForTheHost(command: Buffer, first: Buffer): Promise<Buffer | undefined> {
    let response: Buffer | undefined = first;
    if (response.length === 2 && response[0] === 0x6c && command.length >= 5) {
      const resent = Buffer.from(command);
      resent[resent.length - 1] = response[1]!;
      response = await this.toTheCard(resent);
    }
    const parts: Buffer[] = [];
    for (let i = 0; response && response.length >= 2 && response[response.length - 2] === 0x61; i++) {
      if (i === MAX_READER_GET_RESPONSE) return response;
      parts.push(response.subarray(0, -2));
      response = await this.toTheCard(
        Buffer.from([CLA.ISO, INS.GET_RESPONSE, 0x00, 0x00, response[response.length - 1]!]),
      );
    }
    return response ? Buffer.concat([...parts, response]) : undefined;
  }

  private toTheCard(command: Buffer): Promise<Buffer | undefined> {
    this.toCard.push(command.toString('hex').toUpperCase());
    return this.inner.exchange(command);
  }

  private refuse(reason: ReaderRefusal['reason'], command: string, length: number): Buffer {
    this.refusals.push({ reason, command, length });
    return Buffer.from(WRONG_LENGTH);
  }
}
