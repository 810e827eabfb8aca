import { formatCommand, formatResponse, isSscardError, parseResponse } from '@sscard/card-core';
import type { Logger } from '@sscard/log';
import type { CardChannel, ReaderKeypad } from './reader-backend.js';

/**
 * A card channel that writes each command and its answer to the log at debug level, the way
 * pcscd's APDU dump does, for a technician chasing a card or reader that misbehaves. Lines come
 * from card-core's formatters: the data of commands that carry a PIN, a key or personal data is
 * shown only as its length, and response data only as its length (READ RECORD answers hold ID
 * numbers and names), so the trace shows the conversation's shape and status words, never secrets.
 * Every physical exchange is one line, GET RESPONSE and resets included.
 */
export class TracedChannel implements CardChannel {
  constructor(
    private readonly inner: CardChannel,
    private readonly log: Logger,
  ) {}

  get reader(): string {
    return this.inner.reader;
  }

  get atr(): Buffer {
    return this.inner.atr;
  }

  get stalled(): boolean | undefined {
    return this.inner.stalled;
  }

  /** The reader's keypad, untraced: the PIN never passes the host, so there is nothing of it to log. */
  get keypad(): ReaderKeypad | undefined {
    return this.inner.keypad;
  }

  async transmit(command: Buffer): Promise<Buffer> {
    const started = performance.now();
    const shown = formatCommand(command);
    try {
      const response = await this.inner.transmit(command);
      this.log.debug('apdu', {
        reader: this.inner.reader,
        command: shown,
        response:
          response.length >= 2 ? formatResponse(parseResponse(response)) : `<${response.length} bytes>`,
        ms: elapsed(started),
      });
      return response;
    } catch (e) {
      this.log.debug('apdu', {
        reader: this.inner.reader,
        command: shown,
        failed: isSscardError(e) ? e.code : 'error',
        ms: elapsed(started),
      });
      throw e;
    }
  }

  async reset(): Promise<Buffer> {
    const atr = await this.inner.reset();
    this.log.debug('card reset', { reader: this.inner.reader, atr: atr.toString('hex').toUpperCase() });
    return atr;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
