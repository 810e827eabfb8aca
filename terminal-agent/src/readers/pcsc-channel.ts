import {
  CM_IOCTL_GET_FEATURE_REQUEST,
  parseFeatureList,
  pinModifyStructure,
  pinPadAnswer,
  pinVerifyStructure,
} from '@sscard/card-core';
import { ReaderError } from './errors.js';
import { readerErrorFromPcsc } from './pcsc-status.js';
import type { PcscCardReader } from './pcsclite-binding.js';
import type { CardChannel, KeypadOutcome, ReaderKeypad } from './reader-backend.js';

/** Room for the longest response an extended-length APDU can carry, plus the status word. */
const MAX_RESPONSE = 65_538;

export interface PcscChannelOptions {
  /** How long one call may stay in the native binding before the card is declared mute. */
  deadlineMs: number;
  /** Where the channel learns whether the card is still in the slot (status events keep it current). */
  cardPresent: () => boolean;
  /** Called once the card handle is released, so the slot accepts the next connection. */
  onReleased: () => void;
  /** The control codes of the reader's PIN pad (PC/SC part 10), when it has one. */
  pinPad?: PinPadControlCodes;
}

/** A PIN pad's part 10 control codes: FEATURE_VERIFY_PIN_DIRECT, and FEATURE_MODIFY_PIN_DIRECT when it can change PINs. */
export interface PinPadControlCodes {
  verify: number;
  modify?: number | undefined;
}

/** How long the reader's PIN pad waits for the cardholder (bTimerOut), and the host beyond that for the card. */
const PIN_PAD_TIMEOUT_SECONDS = 30;

type ChannelState = 'open' | 'removed' | 'lost' | 'closed';

interface PendingCall {
  readonly operation: string;
  /** `Date.now()` after which the card counts as mute. */
  readonly deadline: number;
  timedOut: boolean;
  readonly giveUp: (error: ReaderError) => void;
  /** Who waits for the native call to come back (a release after the deadline gave up on it). */
  readonly returned: (() => void)[];
}

/**
 * An exclusive PC/SC connection to one card. The binding runs each call on libuv's thread pool
 * and a silent card keeps that thread until it is pulled, so this channel never queues a second
 * call behind a stalled one: after the deadline it refuses further calls and releases the handle
 * only when the stalled call has come back.
 */
export class PcscChannel implements CardChannel {
  private state: ChannelState = 'open';
  /** The one native call in the binding, from issue until its callback has run. */
  private pending: PendingCall | undefined;
  /**
   * One deadline timer per channel, not one per call: a timer armed and cleared around every APDU
   * is most of what a call costs the event loop beyond the binding itself. It fires at most once per
   * deadline and gives up on the call in flight only when that call's own deadline has passed.
   */
  private watchdog: NodeJS.Timeout | undefined;
  private releasing: Promise<void> | undefined;
  #keypad: ReaderKeypad | undefined;

  constructor(
    private readonly binding: PcscCardReader,
    readonly reader: string,
    public atr: Buffer,
    private protocolNumber: number,
    private readonly options: PcscChannelOptions,
  ) {
    if (options.pinPad !== undefined) this.usePinPad(options.pinPad);
  }

  get keypad(): ReaderKeypad | undefined {
    return this.#keypad;
  }

  /**
   * The reader has a PIN pad: PINs are verified with its FEATURE_VERIFY_PIN_DIRECT control code,
   * and changed with FEATURE_MODIFY_PIN_DIRECT when the pad offers it.
   */
  usePinPad(codes: PinPadControlCodes): void {
    const { verify, modify } = codes;
    this.#keypad = {
      verify: (header) => this.verifyPinDirect(verify, header),
      ...(modify === undefined ? {} : { change: (header: Buffer) => this.modifyPinDirect(modify, header) }),
    };
  }

  /**
   * The reader's PC/SC part 10 features (CM_IOCTL_GET_FEATURE_REQUEST): control codes by feature
   * tag. A reader that has none answers SCARD_E_UNSUPPORTED_FEATURE — vpcd does, for every control
   * code — which is an empty list, not a failure; a card that left is still CardRemoved.
   */
  async features(): Promise<Map<number, number>> {
    this.assertUsable('SCardControl');
    let list: Buffer;
    try {
      list = await this.call<Buffer>(
        'SCardControl',
        (done) =>
          this.binding.control(Buffer.alloc(0), CM_IOCTL_GET_FEATURE_REQUEST, 256, (err, data) =>
            done(err, data),
          ),
        (e) => this.explain(e, 'SCardControl'),
      );
    } catch (e) {
      if (
        e instanceof ReaderError &&
        (e.code === 'CardRemoved' ||
          e.code === 'ReaderGone' ||
          e.code === 'ServiceUnavailable' ||
          e.code === 'CardMute')
      )
        throw e;
      return new Map();
    }
    try {
      return parseFeatureList(list);
    } catch {
      // A list we cannot read offers nothing we could use.
      return new Map();
    }
  }

  /**
   * FEATURE_VERIFY_PIN_DIRECT: the reader takes a 6-digit PIN on its pad, puts it in BCD after
   * Lc and sends the VERIFY (docs/card-conventions.md). The pool thread of this call waits for
   * the cardholder, so the deadline is the pad's timeout and the card's deadline after it.
   */
  private verifyPinDirect(code: number, header: Buffer): Promise<KeypadOutcome> {
    try {
      this.assertUsable('SCardControl');
    } catch (e) {
      return Promise.reject(e);
    }
    const structure = pinVerifyStructure({
      timeoutSeconds: PIN_PAD_TIMEOUT_SECONDS,
      formatString: 0x81,
      pinBlockString: 0x03,
      minDigits: 6,
      maxDigits: 6,
      apdu: Buffer.concat([header, Buffer.from([0x03, 0xff, 0xff, 0xff])]),
    });
    return this.pinPadCommand(code, structure, 1);
  }

  /**
   * FEATURE_MODIFY_PIN_DIRECT: the pad takes the current PIN, the new one and its confirmation,
   * and sends CHANGE PIN `header 07 <current BCD> FF <new BCD>` (docs/card-conventions.md). It
   * checks the two new entries agree; the agent's new-PIN rule (no initial, no trivial PIN) cannot
   * be applied to a PIN the host never sees, so the card's own rule is the one that holds.
   */
  private modifyPinDirect(code: number, header: Buffer): Promise<KeypadOutcome> {
    try {
      this.assertUsable('SCardControl');
    } catch (e) {
      return Promise.reject(e);
    }
    const structure = pinModifyStructure({
      timeoutSeconds: PIN_PAD_TIMEOUT_SECONDS,
      formatString: 0x81,
      pinBlockString: 0x03,
      currentPinOffset: 0,
      newPinOffset: 4,
      confirm: 0x03,
      minDigits: 6,
      maxDigits: 6,
      apdu: Buffer.concat([header, Buffer.from([0x07, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]),
    });
    return this.pinPadCommand(code, structure, 3);
  }

  /** The pool thread waits for the cardholder's `entries` PINs, then for the card. */
  private pinPadCommand(code: number, structure: Buffer, entries: number): Promise<KeypadOutcome> {
    return this.call<Buffer>(
      'SCardControl',
      (done) => this.binding.control(structure, code, 258, (err, data) => done(err, data)),
      (e) => this.explain(e, 'SCardControl'),
      undefined,
      entries * PIN_PAD_TIMEOUT_SECONDS * 1000 + this.options.deadlineMs,
    ).then((response): KeypadOutcome => {
      const answer = pinPadAnswer(response);
      return answer.outcome === 'answered' ? { outcome: 'answered', response } : answer;
    });
  }

  /**
   * A native call is in the binding: its pool thread and the reader's native mutex are taken until
   * it returns, which for a mute card behind vpcd is when the card is pulled.
   */
  get nativeCallInFlight(): boolean {
    return this.pending !== undefined;
  }

  /** Only a call the deadline gave up on is still in flight once its caller has moved on. */
  get stalled(): boolean {
    return this.pending?.timedOut === true;
  }

  /** The slot saw the card leave: every later call fails as CardRemoved, not as a protocol error. */
  markRemoved(): void {
    if (this.state === 'open') this.state = 'removed';
  }

  /** The reader or the PC/SC service went away under the channel. */
  markLost(): void {
    if (this.state === 'open' || this.state === 'removed') this.state = 'lost';
  }

  transmit(command: Buffer): Promise<Buffer> {
    try {
      this.assertUsable('transmit');
    } catch (e) {
      return Promise.reject(e);
    }
    // The answer is checked in the binding's callback, so that the caller's own await is the only
    // turn of the event loop between the card's answer and the caller.
    return this.call<Buffer>(
      'SCardTransmit',
      (done) =>
        this.binding.transmit(command, MAX_RESPONSE, this.protocolNumber, (err, data) => done(err, data)),
      (e) => this.explain(e, 'SCardTransmit'),
      (response) => this.checkResponse(response),
    );
  }

  private checkResponse(response: Buffer): Buffer {
    if (response.length < 2) {
      // vpcd answers a command with nothing when the card went away while it was waiting for it.
      if (this.state !== 'open' || !this.options.cardPresent()) {
        this.markRemoved();
        throw this.removedError('SCardTransmit');
      }
      throw new ReaderError('CardProtocol', `the card in "${this.reader}" answered without a status word`, {
        reader: this.reader,
        length: response.length,
      });
    }
    return response;
  }

  async reset(): Promise<Buffer> {
    this.assertUsable('reset');
    try {
      await this.call('SCardDisconnect', (done) =>
        this.binding.disconnect(this.binding.SCARD_RESET_CARD, (err) => done(err, undefined)),
      );
      this.protocolNumber = await this.call<number>('SCardConnect', (done) =>
        this.binding.connect(
          {
            share_mode: this.binding.SCARD_SHARE_EXCLUSIVE,
            protocol: this.binding.SCARD_PROTOCOL_T0 | this.binding.SCARD_PROTOCOL_T1,
          },
          (err, protocol) => done(err, protocol),
        ),
      );
    } catch (e) {
      throw this.explain(e, 'reset');
    }
    return this.atr;
  }

  close(): Promise<void> {
    if (!this.releasing) {
      const wasOpen = this.state !== 'lost';
      this.state = 'closed';
      this.releasing = this.release(wasOpen);
    }
    return this.releasing;
  }

  private async release(disconnect: boolean): Promise<void> {
    // A stalled call still owns the handle inside the binding; disconnecting now would block a
    // second pool thread on the binding's mutex. Wait for it to come back (the card pulled).
    const pending = this.pending;
    if (pending) await new Promise<void>((resolve) => pending.returned.push(resolve));
    if (disconnect && this.binding.connected) {
      for (const disposition of [this.binding.SCARD_UNPOWER_CARD, this.binding.SCARD_LEAVE_CARD]) {
        const released = new Promise<boolean>((resolve) =>
          this.binding.disconnect(disposition, (err) => resolve(!err)),
        );
        // Timer bookkeeping waits until the card's power-off is on its way.
        this.stopWatchdog();
        if (await released) break;
      }
    }
    this.stopWatchdog();
    this.options.onReleased();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  private assertUsable(operation: string): void {
    if (this.state === 'closed') {
      throw new ReaderError('SessionClosed', `the card session on "${this.reader}" is closed`, {
        reader: this.reader,
      });
    }
    if (this.state === 'removed') throw this.removedError(operation);
    if (this.state === 'lost') {
      throw new ReaderError('ReaderGone', `"${this.reader}" is no longer available`, { reader: this.reader });
    }
    if (this.pending) {
      throw new ReaderError(
        'CardMute',
        `the card in "${this.reader}" has not answered the previous command`,
        {
          reader: this.reader,
        },
      );
    }
  }

  private explain(e: unknown, operation: string): ReaderError {
    if (this.state === 'removed') return this.removedError(operation);
    const error = readerErrorFromPcsc(e, this.reader, operation);
    if (error.code === 'CardRemoved' || error.code === 'NoCard') {
      this.markRemoved();
      return this.removedError(operation);
    }
    if (error.code === 'ServiceUnavailable' || error.code === 'ReaderGone') this.markLost();
    return error;
  }

  private removedError(operation: string): ReaderError {
    return new ReaderError('CardRemoved', `the card was removed from "${this.reader}"`, {
      reader: this.reader,
      operation,
    });
  }

  /**
   * One native call. `fail` turns what went wrong (the binding's error, or CardMute when the
   * deadline passed) into what the caller gets; `accept` checks a value before it is handed on.
   */
  private call<T>(
    operation: string,
    invoke: (done: (err: Error | null | undefined, value: T | undefined) => void) => void,
    fail: (error: unknown) => unknown = (error) => error,
    accept?: (value: T) => T,
    deadlineMs = this.options.deadlineMs,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call: PendingCall = {
        operation,
        deadline: Date.now() + deadlineMs,
        timedOut: false,
        giveUp: (error) => reject(fail(error)),
        returned: [],
      };
      this.pending = call;
      invoke((err, value) => {
        if (this.pending === call) this.pending = undefined;
        for (const resolveReturned of call.returned) resolveReturned();
        if (call.timedOut) return; // its caller already has CardMute
        if (err) {
          reject(fail(err));
          return;
        }
        if (!accept) {
          resolve(value as T);
          return;
        }
        try {
          resolve(accept(value as T));
        } catch (e) {
          reject(e);
        }
      });
      // Armed once the call is on its way, not before it; a call already answered leaves it idle.
      this.armWatchdog();
    });
  }

  private armWatchdog(delay = this.options.deadlineMs): void {
    if (this.watchdog) return;
    this.watchdog = setTimeout(() => this.onWatchdog(), delay);
    // A call in the binding keeps the process alive by itself; this timer must not.
    this.watchdog.unref();
  }

  private onWatchdog(): void {
    this.watchdog = undefined;
    const call = this.pending;
    if (!call || call.timedOut) return;
    const left = call.deadline - Date.now();
    if (left > 0) {
      this.armWatchdog(left);
      return;
    }
    call.timedOut = true;
    call.giveUp(
      new ReaderError('CardMute', `the card in "${this.reader}" did not answer ${call.operation}`, {
        reader: this.reader,
        operation: call.operation,
        deadlineMs: this.options.deadlineMs,
      }),
    );
  }
}
