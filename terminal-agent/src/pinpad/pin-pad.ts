import type { EventEmitter } from 'node:events';

export interface PinRequest {
  /** Shown on the PIN pad's display or the on-screen keypad (e.g. "请输入密码"). */
  prompt: string;
  minLength: number;
  maxLength: number;
  timeoutMs: number;
}

/**
 * Progress of an entry, for the screen to draw dots. Counts only: a digit never leaves the PIN pad
 * module except as the buffer `readPin` resolves with.
 */
export interface PinPadEvents {
  /** A digit was added or removed; `entered` is how many digits are now held. */
  key: [progress: { entered: number }];
}

/**
 * A device (or the on-screen keypad) that collects one PIN. `readPin` resolves with the ASCII
 * digits of the PIN; the caller wipes the buffer after the VERIFY or CHANGE PIN it was read for.
 * Rejects with a `PinEntryError` (cancelled, timeout, bad length) or a `PinPadError` (the device).
 */
export interface PinPad extends EventEmitter<PinPadEvents> {
  /** `pinpad` for a hardware PIN pad, `keypad` for the on-screen keypad of the kiosk UI. */
  readonly kind: 'pinpad' | 'keypad';
  readPin(request: PinRequest): Promise<Buffer>;
  /**
   * A hardware pad holding a terminal PIN key: the PIN as an ISO 9564 block (format 0 or 4, for
   * the account `pan`) enciphered under that key, which nothing outside the pad and the HSM reads.
   */
  readEncipheredPinBlock?(request: PinRequest & { format: 0 | 4; pan: string }): Promise<Buffer>;
  /** Aborts the entry in progress (its `readPin` rejects with PIN_CANCELLED); no effect when idle. */
  cancel(): void;
  close(): Promise<void>;
}
