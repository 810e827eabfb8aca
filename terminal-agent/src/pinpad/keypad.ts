import { EventEmitter } from 'node:events';
import type { KeypadKey } from '@sscard/agent-protocol';
import { PinEntryError, PinPadError } from './errors.js';
import { PinBuffer } from './pin-buffer.js';
import type { PinPad, PinPadEvents, PinRequest } from './pin-pad.js';

interface Entry {
  request: PinRequest;
  buffer: PinBuffer;
  resolve: (pin: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The kiosk UI's on-screen keypad. The UI sends key presses one by one (never a whole PIN string)
 * so that the PIN is assembled here, where it is wiped, and the browser holds at most one digit
 * in an event. Not offered on bank terminals (the configuration refuses it).
 */
export class KeypadPinPad extends EventEmitter<PinPadEvents> implements PinPad {
  readonly kind = 'keypad' as const;
  #entry: Entry | undefined;

  get active(): boolean {
    return this.#entry !== undefined;
  }

  readPin(request: PinRequest): Promise<Buffer> {
    if (this.#entry) {
      return Promise.reject(new PinPadError('PINPAD_BUSY', 'a PIN entry is already in progress'));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () => this.#finish(new PinEntryError('PIN_TIMEOUT', 'no PIN was entered in time')),
        request.timeoutMs,
      );
      this.#entry = { request, buffer: new PinBuffer(request.maxLength), resolve, reject, timer };
    });
  }

  /** One key from the UI. Returns false when no entry is waiting (a stale key press). */
  press(key: KeypadKey): boolean {
    const entry = this.#entry;
    if (!entry) return false;
    switch (key) {
      case 'cancel':
        this.#finish(new PinEntryError('PIN_CANCELLED', 'PIN entry was cancelled'));
        return true;
      case 'enter':
        try {
          this.#finish(entry.buffer.take(entry.request.minLength));
        } catch (e) {
          this.#finish(e as Error);
        }
        return true;
      case 'back':
        entry.buffer.backspace();
        break;
      case 'clear':
        entry.buffer.clear();
        break;
      default:
        if (!entry.buffer.push(key.charCodeAt(0))) return true;
    }
    this.emit('key', { entered: entry.buffer.count });
    return true;
  }

  cancel(): void {
    if (this.#entry) this.#finish(new PinEntryError('PIN_CANCELLED', 'PIN entry was cancelled'));
  }

  async close(): Promise<void> {
    this.cancel();
  }

  #finish(outcome: Buffer | Error): void {
    const entry = this.#entry;
    if (!entry) return;
    this.#entry = undefined;
    clearTimeout(entry.timer);
    entry.buffer.clear();
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }
}
