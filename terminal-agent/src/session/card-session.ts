import { type CommandApdu, needsExtendedLength, type ResponseApdu, transceive } from '@sscard/card-core';
import { ReaderError, type ReaderErrorCode } from '../readers/errors.js';
import type { KeypadOutcome } from '../readers/reader-backend.js';
import type { HeldCard, ReaderManager, ReaderState } from '../readers/reader-manager.js';
import type { ReaderRole } from '../readers/reader-roles.js';

export interface TransmitOptions {
  /**
   * Pass 61xx and 6Cxx through instead of chaining GET RESPONSE / re-sending with the right Le:
   * to see the card's own status words, or to skip an FCI nobody reads.
   */
  raw?: boolean;
  /** The card takes command chaining: data too long for the reader go in chained parts. */
  chaining?: boolean;
}

/**
 * A card session on `readerName`, or on the only user reader with a card. The card is held
 * exclusively until the session is closed; close it in a `finally`.
 */
export async function openCardSession(
  readers: ReaderManager,
  readerName?: string,
  options: { roles?: readonly ReaderRole[] } = {},
): Promise<CardSession> {
  return new CardSession(
    await readers.hold({ ...(readerName !== undefined ? { reader: readerName } : {}), ...options }),
  );
}

/** Failures after which the card or its reader is not there any more: the session is over. */
const FATAL: ReadonlySet<ReaderErrorCode> = new Set([
  'CardRemoved',
  'NoCard',
  'ReaderGone',
  'ServiceUnavailable',
  'SessionClosed',
  'CardMute',
]);

/**
 * One card, held exclusively from open to close. Sends logical APDUs: T=0 61xx/6Cxx handling is
 * card-core's `transceive`, the one place that does it. Counts every APDU that goes over the wire.
 *
 * When the transport fails in a way that may be a glitch, the session resets the card: if the
 * card is gone that is a `CardRemoved`; if it is there, the original error is re-thrown marked
 * `retryable` (the card has lost its state, so the caller starts its operation again, once).
 */
export class CardSession {
  readonly reader: string;
  readonly atr: Buffer;
  readonly readerState: ReaderState;
  private apdus = 0;
  private ended = false;
  /** A transport failure or a reset happened: the connection is not handed on as it is. */
  private troubled = false;

  constructor(private readonly held: HeldCard) {
    this.reader = held.channel.reader;
    this.atr = held.channel.atr;
    this.readerState = held.state;
  }

  /** APDUs sent to the card so far, GET RESPONSE and re-sends included. */
  get apduCount(): number {
    return this.apdus;
  }

  get open(): boolean {
    return !this.ended;
  }

  /**
   * Facts about the card's state noted by the applications (an application selected), kept with
   * the connection while it stays powered; cleared by every reset of the card.
   */
  get memo(): Map<string, unknown> {
    return this.held.memo;
  }

  async transmit(command: CommandApdu, options: TransmitOptions = {}): Promise<ResponseApdu> {
    this.assertOpen();
    // A short command gets at most 256 data bytes back, and no reader returns more than its
    // profile says; more is a hostile or broken card, and must not grow into an allocation the
    // card chose.
    const link = this.held.link;
    const limit = Math.min(needsExtendedLength(command) ? 65_538 : 258, link?.maxResponseApdu ?? 65_538);
    const wire = async (bytes: Buffer): Promise<Buffer> => {
      this.apdus++;
      const response = await this.held.channel.transmit(bytes);
      if (response.length > limit) {
        throw new ReaderError(
          'CardProtocol',
          `the card in "${this.reader}" answered ${response.length} bytes to a short command`,
          {
            reader: this.reader,
            length: response.length,
          },
        );
      }
      const sw1 = response[response.length - 2]!;
      // ISO/IEC 7816-4 §5.1.3: SW1 is 61–6F or 90–9F; anything else is noise, not a status word.
      if (response.length >= 2 && !((sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f))) {
        throw new ReaderError(
          'CardProtocol',
          `the card in "${this.reader}" answered without a valid status word`,
          {
            reader: this.reader,
            sw1,
          },
        );
      }
      return response;
    };
    try {
      return await transceive(wire, command, {
        raw: options.raw ?? false,
        ...(link ? { link } : {}),
        ...(options.chaining ? { chaining: true } : {}),
      });
    } catch (e) {
      throw await this.afterFailure(e);
    }
  }

  /** Whether the reader takes PINs on its own keypad (`keypadVerify`). */
  get hasKeypad(): boolean {
    return this.held.channel.keypad !== undefined;
  }

  /**
   * VERIFY with the PIN taken on the reader's keypad: the reader adds Lc and the PIN to `header`
   * and sends the command, so the PIN never reaches the host. The card's answer, or how the entry
   * ended without one.
   */
  keypadVerify(header: Buffer): Promise<KeypadOutcome> {
    return this.onKeypad('verify', header);
  }

  /** CHANGE PIN with the current PIN, the new one and its confirmation taken on the reader's keypad. */
  keypadChange(header: Buffer): Promise<KeypadOutcome> {
    return this.onKeypad('change', header);
  }

  private async onKeypad(command: 'verify' | 'change', header: Buffer): Promise<KeypadOutcome> {
    this.assertOpen();
    const keypad = this.held.channel.keypad;
    const run = command === 'verify' ? keypad?.verify.bind(keypad) : keypad?.change?.bind(keypad);
    if (!run) {
      throw new ReaderError('ReaderFailure', `"${this.reader}" has no keypad that can ${command} a PIN`, {
        reader: this.reader,
      });
    }
    this.apdus++;
    try {
      return await run(header);
    } catch (e) {
      throw await this.afterFailure(e);
    }
  }

  /** Warm reset: selected application, verified PIN and authentication are forgotten. */
  async reset(): Promise<Buffer> {
    this.assertOpen();
    this.troubled = true;
    this.held.memo.clear();
    try {
      return await this.held.channel.reset();
    } catch (e) {
      throw await this.afterFailure(e);
    }
  }

  /**
   * Powers the card off and lets the next caller have the reader. Safe to call more than once.
   * After a card stopped answering, the release waits in the driver until the card is pulled;
   * the session is over at once and the caller does not wait for that.
   */
  async close(): Promise<void> {
    this.ended = true;
    const released = this.held.release({ clean: !this.troubled });
    if (this.held.channel.stalled) {
      released.catch(() => undefined);
      return;
    }
    await released;
  }

  private assertOpen(): void {
    if (this.ended) {
      throw new ReaderError('SessionClosed', `the card session on "${this.reader}" is closed`, {
        reader: this.reader,
      });
    }
  }

  private async afterFailure(e: unknown): Promise<unknown> {
    if (!(e instanceof ReaderError)) return e; // the card's answer broke the protocol: its fault, not the link's
    this.troubled = true;
    if (FATAL.has(e.code)) {
      await this.close();
      return e;
    }
    this.held.memo.clear();
    try {
      await this.held.channel.reset();
    } catch (probe) {
      await this.close();
      return probe instanceof ReaderError && FATAL.has(probe.code) ? probe : e;
    }
    return new ReaderError(e.code, e.message, { ...e.details, retryable: true }, { cause: e });
  }
}

/** Whether an operation that failed with `e` may run once more on the (already reset) card. */
export function isRetryable(e: unknown): boolean {
  return e instanceof ReaderError && e.details?.retryable === true;
}

/**
 * Runs a card operation and, when the session reset the card after a transient failure, runs it
 * once more from the start: a retried APDU alone would meet a card that forgot the selection.
 */
export async function withOneRetry<T>(session: CardSession, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (e) {
    if (!isRetryable(e) || !session.open) throw e;
    return operation();
  }
}
