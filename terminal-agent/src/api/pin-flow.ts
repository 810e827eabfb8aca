import { EventEmitter } from 'node:events';
import type { KeypadKey, PinOperation, PinProgress, PinPrompt, PinStep } from '@sscard/agent-protocol';
import { timingSafeEqual } from 'node:crypto';
import { wipe } from '@sscard/card-core';
import { checkNewPin, type PinChangePolicy } from '../apps/pin.js';
import { PinEntryError, PinPadError } from '../pinpad/errors.js';
import type { KeypadPinPad } from '../pinpad/keypad.js';
import type { PinPad, PinRequest } from '../pinpad/pin-pad.js';

export type { PinOperation, PinPrompt, PinStep };

export interface PinFlowEvents {
  'pin-required': [prompt: PinPrompt];
  'pin-progress': [progress: PinProgress];
  'pin-entered': [entry: { entryId: string }];
}

/**
 * What the PIN entry itself refuses as a new PIN: the initial PIN (-36). The full policy, trivial
 * PINs included, is applied by `CardOperations.changePin` before the card sees the PIN.
 */
const ENTRY_PIN_POLICY: Readonly<PinChangePolicy> = { refuseInitialPin: true, refuseTrivialPin: false };

const PROMPTS: Record<PinStep, string> = {
  current: '请输入社保卡密码',
  new: '请输入新密码',
  confirm: '请再次输入新密码',
};

/** The bank card's own PIN (the debit application's), not the social security PIN. */
const BANK_PIN_PROMPT = '请输入银行卡密码';

export interface PinFlowOptions {
  /** Undefined when the terminal takes no PINs (`pin.entry: none`). */
  pad: PinPad | undefined;
  minLength: number;
  maxLength: number;
  timeoutMs: number;
  /** For the on-screen keypad: whether a UI is connected to show it (otherwise no entry is started). */
  keypadVisible?: () => boolean;
}

let entrySequence = 0;

/**
 * Collects PINs for the operations that need them, one operation at a time, and announces each
 * prompt (so a UI can show "enter your PIN on the PIN pad" or the keypad) and progress as counts.
 * The PIN buffers it hands out are wiped by the caller's `use` function returning.
 */
export class PinFlow extends EventEmitter<PinFlowEvents> {
  readonly #options: PinFlowOptions;
  #busy = false;
  #owner: string | undefined;

  constructor(options: PinFlowOptions) {
    super();
    this.#options = options;
    options.pad?.on('key', ({ entered }) => {
      if (this.#currentEntry) this.emit('pin-progress', { entryId: this.#currentEntry, entered });
    });
  }

  #currentEntry: string | undefined;

  get available(): boolean {
    return this.#options.pad !== undefined;
  }

  get device(): 'pinpad' | 'keypad' | undefined {
    return this.#options.pad?.kind;
  }

  /** A key from the on-screen keypad; false when the terminal has no keypad or no entry waits. */
  pressKey(key: KeypadKey): boolean {
    const pad = this.#options.pad;
    if (pad?.kind !== 'keypad') return false;
    return (pad as KeypadPinPad).press(key);
  }

  /** Ends the entry in progress whoever started it: the card went, or no screen can show the keypad. */
  cancel(): void {
    this.#options.pad?.cancel();
  }

  /**
   * Who started the operation in progress (a socket.io client's id), if a client that can cancel
   * it did; undefined for REST and ministry calls, and when no operation runs.
   */
  get owner(): string | undefined {
    return this.#owner;
  }

  /** Cancels the entry in progress only for the client that started it; false otherwise. */
  cancelFor(owner: string): boolean {
    if (!this.#busy || this.#owner === undefined || this.#owner !== owner) return false;
    this.cancel();
    return true;
  }

  /** Reads one PIN and passes it to `use`; the buffer is wiped when `use` settles. */
  async withPin<T>(operation: 'verify', use: (pin: Buffer) => Promise<T>, owner?: string): Promise<T> {
    return this.#exclusive(owner, async (pad) => {
      const pin = await this.#read(pad, operation, 'current');
      try {
        return await use(pin);
      } finally {
        wipe(pin);
      }
    });
  }

  /**
   * Reads the current PIN, the new PIN and its confirmation, checks the two new entries agree
   * (-34) and that the new PIN is not the initial one (-36), then passes old and new to `use`.
   */
  async withPinChange<T>(use: (oldPin: Buffer, newPin: Buffer) => Promise<T>, owner?: string): Promise<T> {
    return this.#exclusive(owner, async (pad) => {
      const held: Buffer[] = [];
      try {
        const oldPin = await this.#read(pad, 'change', 'current');
        held.push(oldPin);
        const newPin = await this.#read(pad, 'change', 'new');
        held.push(newPin);
        const confirm = await this.#read(pad, 'change', 'confirm');
        held.push(confirm);
        if (newPin.length !== confirm.length || !timingSafeEqual(newPin, confirm)) {
          throw new PinEntryError('PIN_ENTRIES_DIFFER', 'the new PIN and its confirmation differ');
        }
        checkNewPin(newPin, ENTRY_PIN_POLICY);
        return await use(oldPin, newPin);
      } finally {
        for (const pin of held) wipe(pin);
      }
    });
  }

  /**
   * A bank PIN as the PIN pad enciphers it under its terminal PIN key (ISO 9564 format 0 or 4 for
   * the account `pan`): the agent holds only the enciphered block, for card-service's HSM.
   */
  async encipheredPinBlock(request: { pan: string; format: 0 | 4 }, owner?: string): Promise<Buffer> {
    return this.#exclusive(owner, async (pad) => {
      if (!pad.readEncipheredPinBlock) {
        throw new PinPadError('PINPAD_UNAVAILABLE', 'this terminal has no PIN pad that enciphers PIN blocks');
      }
      return pad.readEncipheredPinBlock({
        prompt: BANK_PIN_PROMPT,
        minLength: this.#options.minLength,
        maxLength: this.#options.maxLength,
        timeoutMs: this.#options.timeoutMs,
        ...request,
      });
    });
  }

  async #exclusive<T>(owner: string | undefined, run: (pad: PinPad) => Promise<T>): Promise<T> {
    const pad = this.#options.pad;
    if (!pad)
      throw new PinPadError('PINPAD_UNAVAILABLE', 'this terminal takes no PINs (pin.entry is "none")');
    if (pad.kind === 'keypad' && this.#options.keypadVisible && !this.#options.keypadVisible()) {
      throw new PinPadError('PINPAD_UNAVAILABLE', 'no kiosk screen is connected to show the PIN keypad');
    }
    if (this.#busy) throw new PinPadError('PINPAD_BUSY', 'another PIN entry is in progress');
    this.#busy = true;
    this.#owner = owner;
    try {
      return await run(pad);
    } finally {
      this.#busy = false;
      this.#owner = undefined;
      this.#currentEntry = undefined;
    }
  }

  async #read(pad: PinPad, operation: PinOperation, step: PinStep): Promise<Buffer> {
    const entryId = `pin-${process.pid}-${++entrySequence}`;
    const request: PinRequest = {
      prompt: PROMPTS[step],
      minLength: this.#options.minLength,
      maxLength: this.#options.maxLength,
      timeoutMs: this.#options.timeoutMs,
    };
    this.#currentEntry = entryId;
    this.emit('pin-required', { entryId, operation, step, device: pad.kind, ...request });
    const pin = await pad.readPin(request);
    this.emit('pin-entered', { entryId });
    return pin;
  }
}
