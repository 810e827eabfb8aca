import { EventEmitter } from 'node:events';
import { wipe } from '@sscard/card-core';
import type { Frame, PinPadProfile } from '@sscard/firmware-profiles';
import { PinEntryError, PinPadError } from './errors.js';
import { pinDigitsFromBlock } from './pin-block-digits.js';
import type { PinPad, PinPadEvents, PinRequest } from './pin-pad.js';
import type { PinPadTransport } from './transport.js';

/** How long the pad may take to acknowledge a command before it is considered gone. */
const ACK_TIMEOUT_MS = 3000;

/** Reason bytes of the pad's error event (profile `events.error`). */
const ERROR_REASONS: Record<number, string> = {
  1: 'the pad received a corrupt frame',
  2: 'the pad does not know the command',
  3: 'the pad is busy with another entry',
  4: 'the pad refused a parameter',
};

interface Entry {
  resolve: (pin: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  minLength: number;
  maxLength: number;
  /** Set when the pad acknowledged this entry's start: events before that belong to an older entry. */
  acknowledged: boolean;
  /** With sequence numbers: the number of this entry's startEntry, which its events carry. */
  seq: number | undefined;
  /** An enciphered entry: its PIN block is handed on as it came, never read. */
  enciphered: boolean;
}

/**
 * A command the pad has not answered yet. The pad answers its commands in the order it got them,
 * each with one ack or one error, so answers are matched to commands in that order: the ack of a
 * cancel that arrives late is not taken for the next entry's.
 */
interface PendingAnswer {
  /** The entry this command starts; undefined for a cancel, whose answer nobody waits for. */
  entry: Entry | undefined;
  /** With sequence numbers: the command's number, which its answer repeats. */
  seq: number | undefined;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A hardware PIN pad speaking the protocol of its firmware profile: the host starts an entry with
 * the length limits, the pad reports each key press as a count, and Enter sends the PIN block.
 * The host keeps its own deadline too, so a pad that stops talking cannot hold a card session.
 */
export class ProfilePinPad extends EventEmitter<PinPadEvents> implements PinPad {
  readonly kind = 'pinpad' as const;
  readonly #profile: PinPadProfile;
  readonly #transport: PinPadTransport;
  #entry: Entry | undefined;
  #pending: PendingAnswer[] = [];
  #closed = false;
  /** The last sequence number sent (profile `sequenceNumbers`): 1–255, then 1 again. */
  #seq = 0;

  constructor(profile: PinPadProfile, transport: PinPadTransport) {
    super();
    if (profile.pinBlock.format === 'iso9564-0') {
      throw new PinPadError(
        'PINPAD_UNAVAILABLE',
        `PIN pad profile ${profile.id} sends ISO 9564 format 0 blocks, which the card's VERIFY cannot use`,
      );
    }
    this.#profile = profile;
    this.#transport = transport;
    transport.on('frame', (frame) => this.#onFrame(frame));
    transport.on('error', (error) => this.#fail(error));
    transport.on('close', () => {
      this.#closed = true;
      this.#fail(new PinPadError('PINPAD_DISCONNECTED', `PIN pad ${transport.description} disconnected`));
    });
  }

  get profileId(): string {
    return this.#profile.id;
  }

  readPin(request: PinRequest): Promise<Buffer> {
    return this.#entryOf(this.#profile.commands.startEntry.code, request, Buffer.alloc(0), false);
  }

  /**
   * An ISO 9564 PIN block (format 0 or 4, for the account `pan`) enciphered by the pad under the
   * terminal PIN key injected into it: the PIN leaves the pad only so, and nothing here can read it.
   */
  readEncipheredPinBlock(request: PinRequest & { format: 0 | 4; pan: string }): Promise<Buffer> {
    const command = this.#profile.commands.startEncipheredEntry;
    if (!command) {
      return Promise.reject(
        new PinPadError('PINPAD_UNAVAILABLE', `PIN pad ${this.#profile.id} does not encipher PIN blocks`),
      );
    }
    if (!/^\d{13,19}$/.test(request.pan)) {
      return Promise.reject(
        new PinPadError('PINPAD_UNAVAILABLE', 'an enciphered PIN block needs the account number'),
      );
    }
    return this.#entryOf(
      command.code,
      request,
      Buffer.from([request.format, ...Buffer.from(request.pan, 'ascii')]),
      true,
    );
  }

  async #entryOf(code: number, request: PinRequest, extra: Buffer, enciphered: boolean): Promise<Buffer> {
    if (this.#closed)
      throw new PinPadError('PINPAD_DISCONNECTED', `PIN pad ${this.#transport.description} is not connected`);
    if (this.#entry) throw new PinPadError('PINPAD_BUSY', 'a PIN entry is already in progress');
    const minLength = Math.max(request.minLength, this.#profile.pinLength.min);
    const maxLength = Math.min(request.maxLength, this.#profile.pinLength.max);
    if (minLength > maxLength) {
      throw new PinPadError(
        'PINPAD_UNAVAILABLE',
        `PIN pad ${this.#profile.id} cannot take ${request.minLength}–${request.maxLength} digits`,
      );
    }
    let entry: Entry | undefined;
    const result = new Promise<Buffer>((resolve, reject) => {
      entry = {
        resolve,
        reject,
        timer: undefined,
        minLength,
        maxLength,
        acknowledged: false,
        seq: undefined,
        enciphered,
      };
    });
    this.#entry = entry;
    try {
      await this.#command(code, Buffer.concat([Buffer.from([minLength, maxLength]), extra]), entry);
    } catch (e) {
      this.#finish(e as Error);
      return result;
    }
    // The entry may have ended while the pad acknowledged (cancelled, unplugged).
    if (entry && this.#entry === entry) {
      entry.timer = setTimeout(() => {
        this.#sendCancel();
        this.#finish(new PinEntryError('PIN_TIMEOUT', 'no PIN was entered in time'));
      }, request.timeoutMs);
    }
    return result;
  }

  cancel(): void {
    if (!this.#entry) return;
    this.#sendCancel();
    this.#finish(new PinEntryError('PIN_CANCELLED', 'PIN entry was cancelled'));
  }

  async close(): Promise<void> {
    this.cancel();
    this.#closed = true;
    await this.#transport.close();
  }

  #sendCancel(): void {
    // Best effort: the entry is over for the host whether or not the pad hears it. Its answer is
    // still expected, so that it is not taken for the answer to the next command.
    this.#command(this.#profile.commands.cancel.code, Buffer.alloc(0), undefined).catch(() => {});
  }

  async #command(code: number, data: Buffer, entry: Entry | undefined): Promise<void> {
    let seq: number | undefined;
    if (this.#profile.sequenceNumbers) {
      this.#seq = (this.#seq % 255) + 1;
      seq = this.#seq;
      data = Buffer.concat([Buffer.from([seq]), data]);
      if (entry) entry.seq = seq;
    }
    let pending!: PendingAnswer;
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#drop(pending);
        reject(
          new PinPadError('PINPAD_UNAVAILABLE', `PIN pad ${this.#transport.description} did not answer`),
        );
      }, ACK_TIMEOUT_MS);
      pending = { entry, seq, resolve, reject, timer };
    });
    // Judged by the await below; a timeout while the bytes are still being written is not unhandled.
    answered.catch(() => undefined);
    this.#pending.push(pending);
    try {
      await this.#transport.send({ code, data });
    } catch (e) {
      this.#drop(pending);
      throw e;
    }
    await answered;
  }

  /** Stops waiting for a command's answer (it timed out, or was never sent). */
  #drop(pending: PendingAnswer): void {
    clearTimeout(pending.timer);
    const at = this.#pending.indexOf(pending);
    if (at >= 0) this.#pending.splice(at, 1);
  }

  /**
   * The command an answer belongs to. With sequence numbers it is the one whose number the answer
   * repeats (none: the answer of a command already given up on, dropped); 0 or no numbers: the
   * oldest unanswered, as the pad answers in order.
   */
  #answered(seq: number | undefined): PendingAnswer | undefined {
    if (seq === undefined || seq === 0) return this.#pending.shift();
    const at = this.#pending.findIndex((p) => p.seq === seq);
    return at < 0 ? undefined : this.#pending.splice(at, 1)[0];
  }

  #onFrame(received: Frame): void {
    const { events } = this.#profile;
    const sequenced = this.#profile.sequenceNumbers;
    const seq = sequenced ? received.data[0] : undefined;
    const frame = sequenced ? { code: received.code, data: received.data.subarray(1) } : received;
    try {
      if (sequenced && seq === undefined) return;
      if (frame.code === events.ack.code) {
        if (seq === 0) return;
        const answered = this.#answered(seq);
        if (answered) {
          clearTimeout(answered.timer);
          // Marked here, not after the await: the pad's first key may be in the same chunk.
          if (answered.entry) answered.entry.acknowledged = true;
          answered.resolve();
        }
        return;
      }
      if (frame.code === events.error.code) {
        const reason = frame.data[0];
        const error =
          reason === 0x03
            ? new PinPadError('PINPAD_BUSY', ERROR_REASONS[0x03]!)
            : new PinPadError('PINPAD_PROTOCOL', ERROR_REASONS[reason ?? 0] ?? 'the pad reported an error', {
                reason,
              });
        const answered = this.#answered(seq);
        if (answered) {
          clearTimeout(answered.timer);
          answered.reject(error);
        } else if (seq !== undefined && seq !== 0) {
          // The refusal of a command the host already gave up on: nothing waits for it.
        } else {
          this.#finish(error);
        }
        return;
      }
      // A late event of an entry the host already ended (a PIN block typed after a damaged frame
      // ended it, say) reaches the host before the next entry's acknowledgement: it is dropped.
      if (!this.#entry?.acknowledged) return;
      if (sequenced && seq !== this.#entry.seq) return;
      if (frame.code === events.keyPressed.code) {
        this.emit('key', { entered: frame.data[0] ?? 0 });
      } else if (frame.code === events.pinBlock.code) {
        this.#finish(this.#entry.enciphered ? Buffer.from(frame.data) : this.#digits(frame.data));
      } else if (frame.code === events.cancelled.code) {
        this.#finish(new PinEntryError('PIN_CANCELLED', 'the cardholder cancelled PIN entry'));
      } else if (frame.code === events.timeout.code) {
        this.#finish(new PinEntryError('PIN_TIMEOUT', 'no PIN was entered in time'));
      } else {
        this.#finish(new PinPadError('PINPAD_PROTOCOL', `unexpected frame code ${frame.code.toString(16)}`));
      }
    } finally {
      // The frame may have carried the PIN block.
      wipe(received.data);
    }
  }

  #digits(block: Buffer): Buffer | Error {
    const entry = this.#entry!;
    let digits: Buffer;
    try {
      digits = pinDigitsFromBlock(this.#profile.pinBlock.format, block);
    } catch (e) {
      return e as Error;
    }
    if (digits.length < entry.minLength || digits.length > entry.maxLength) {
      const length = digits.length;
      wipe(digits);
      return new PinEntryError('PIN_BAD_LENGTH', `a PIN has ${entry.minLength}–${entry.maxLength} digits`, {
        entered: length,
      });
    }
    return digits;
  }

  #fail(error: Error): void {
    // A damaged frame may have been an answer: which commands are still unanswered is no longer
    // known, so none is waited for, and the cancel below starts the count again.
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    // The pad may be in the middle of the entry the host now ends: it goes back to idle rather
    // than taking a PIN nobody waits for and refusing the next entry as busy.
    if (this.#entry && !this.#closed) this.#sendCancel();
    this.#finish(error);
  }

  #finish(outcome: Buffer | Error): void {
    const entry = this.#entry;
    if (!entry) {
      if (Buffer.isBuffer(outcome)) wipe(outcome);
      return;
    }
    this.#entry = undefined;
    if (entry.timer) clearTimeout(entry.timer);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }
}
