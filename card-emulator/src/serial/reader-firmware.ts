import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { newPinRefusal } from '@sscard/card-core';
import { encodeFrame, type Frame, type SerialReaderProfile } from '@sscard/firmware-profiles';
import { CardWithFaults } from '../faults.js';
import type { SlotCard } from '../slot-card.js';
import type { VirtualCard } from '../virtual-card.js';
import { DevicePort } from './device-port.js';
import { FrameReceiver, type ReceiveFailure } from './frame-receiver.js';
import { applyLineFault, type LineFaultKind } from './line-faults.js';

export interface SerialReaderFirmwareOptions {
  /** The device end of the line (a pty in tests, where a real reader's UART would be). */
  path: string;
  profile: SerialReaderProfile;
  /** How long the reader waits for the card before answering cardMute; default the profile's. */
  cardResponseMs?: number;
}

/** The profile's status names, as the `command` event reports them; a keypad's own by its keypad name. */
export type ReaderStatusName =
  | keyof SerialReaderProfile['status']
  | 'keypadCancelled'
  | 'keypadTimeout'
  | 'keypadEntriesDiffer'
  | 'keypadNewPinRefused';
export type ReaderCommandName = keyof SerialReaderProfile['commands'] | 'keypadVerify' | 'keypadChange';

export interface CommandRecord {
  /** The command's name in the profile, or its code when the profile has no such command. */
  command: ReaderCommandName | number;
  /** The answer given; undefined when a line fault or a link drop kept the answer off the line. */
  status: ReaderStatusName | undefined;
}

export interface SerialReaderFirmwareEvents {
  /** A command frame was answered (or, under a fault, deliberately not). */
  command: [record: CommandRecord];
  /** A damaged command was answered with an error status. */
  'frame-error': [failure: ReceiveFailure];
  beep: [count: number];
  /** An APDU was handed to the card (its answer is still to come). */
  exchange: [];
  /** The line went away under the reader (unplugged); `reopen()` brings it back. */
  disconnected: [cause: Error | undefined];
  /** A command frame as the reader received it from the host, before it acts on it. */
  received: [frame: Frame];
  /** The keypad waits for the cardholder's PIN (a keypad verify began). */
  'keypad-entry': [];
}

/** The digits of a BCD PIN (F-padded), as ASCII. */
function bcdDigits(pin: Buffer): number[] {
  const digits: number[] = [];
  for (const byte of pin) {
    for (const nibble of [byte >> 4, byte & 0x0f]) if (nibble <= 9) digits.push(0x30 + nibble);
  }
  return digits;
}

/** A keypad entry under way: the digits so far, and how it ends. */
interface KeypadEntry {
  digits: number[];
  end: (how: 'enter' | 'cancel' | 'timeout') => void;
}

/** Outcome of one command: the status and its data, or no answer at all. */
type Answer = { status: ReaderStatusName; data?: Buffer } | undefined;

/**
 * A serial smart-card reader with one contact slot, driven entirely by a serial reader protocol
 * profile: the framing, command codes, status codes and card states all come from the profile, so
 * the same firmware speaks `sscard-stx-bcc` and `sscard-len-crc16`. Half duplex: commands are
 * answered one at a time in the order they arrived.
 *
 * The card sits behind the emulator's fault decorator, so a card fault (mute, slow, garbage)
 * reaches the host the way a real reader reports it; line faults (`injectLineFault`) damage the
 * reader's own answers.
 */
export class SerialReaderFirmware extends EventEmitter<SerialReaderFirmwareEvents> {
  readonly profile: SerialReaderProfile;
  private readonly device: DevicePort;
  private readonly receiver: FrameReceiver;
  private readonly cardResponseMs: number;
  private slot: SlotCard | undefined;
  /** Settles the APDU in progress when its card is taken out, so the reader answers noCard at once. */
  private pulled: (() => void) | undefined;
  /** Beeps sounded since the firmware started (the host's beep command), for tests to observe. */
  beeps = 0;
  private powered = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly lineFaults: LineFaultKind[] = [];
  private readonly byCode: Map<number, ReaderCommandName>;
  private readonly statusCodes: Record<ReaderStatusName, number>;
  private keypadEntry: KeypadEntry | undefined;

  constructor(options: SerialReaderFirmwareOptions) {
    super();
    this.profile = options.profile;
    this.cardResponseMs = options.cardResponseMs ?? options.profile.timeouts.cardResponseMs;
    this.device = new DevicePort(options.path, options.profile.line);
    this.receiver = new FrameReceiver(options.profile.framing, options.profile.timeouts.interByteMs);
    const keypad = options.profile.keypad;
    this.byCode = new Map(
      Object.entries(options.profile.commands).map(([name, c]) => [c.code, name as ReaderCommandName]),
    );
    if (keypad) {
      this.byCode.set(keypad.verify.code, 'keypadVerify');
      this.byCode.set(keypad.change.code, 'keypadChange');
    }
    this.statusCodes = Object.fromEntries([
      ...Object.entries(options.profile.status).map(([name, s]) => [name, s.code]),
      ...(keypad
        ? [
            ['keypadCancelled', keypad.cancelled.code],
            ['keypadTimeout', keypad.timeout.code],
            ['keypadEntriesDiffer', keypad.entriesDiffer.code],
            ['keypadNewPinRefused', keypad.newPinRefused.code],
          ]
        : []),
    ]) as Record<ReaderStatusName, number>;
    this.device.on('data', (chunk) => this.receiver.push(chunk));
    this.device.on('lost', (cause) => this.onLost(cause));
    this.receiver.on('frame', (frame) => this.enqueue(() => this.handle(frame)));
    this.receiver.on('broken', (failure) =>
      this.enqueue(async () => {
        this.emit('frame-error', failure);
        await this.answer(failure === 'bad-checksum' ? 'badChecksum' : 'badLength');
      }),
    );
  }

  /** Creates the firmware and opens its end of the line. */
  static async open(options: SerialReaderFirmwareOptions): Promise<SerialReaderFirmware> {
    const firmware = new SerialReaderFirmware(options);
    await firmware.reopen();
    return firmware;
  }

  get path(): string {
    return this.device.path;
  }

  /** True while the reader's end of the line is open. */
  get connected(): boolean {
    return this.device.isOpen;
  }

  /** The card in the slot, with its fault setting. */
  get card(): SlotCard | undefined {
    return this.slot;
  }

  /** True while an APDU is with the card and its answer has not come. */
  get busy(): boolean {
    return this.pulled !== undefined;
  }

  /** True while the card in the slot is powered. */
  get cardPowered(): boolean {
    return this.powered;
  }

  /** Puts a card in the slot (replacing any card there). A plain VirtualCard gets a fault decorator. */
  insert(card: VirtualCard | SlotCard): SlotCard {
    this.remove();
    this.slot = 'exchange' in card ? card : new CardWithFaults(card);
    return this.slot;
  }

  /** Takes the card out; a command in progress then answers noCard. */
  remove(): SlotCard | undefined {
    const card = this.slot;
    // A PIN typed for a card that has gone is sent to nothing.
    this.keypadEntry?.end('cancel');
    if (card && this.powered) card.powerOff();
    this.slot = undefined;
    this.powered = false;
    this.pulled?.();
    return card;
  }

  /** True while the keypad waits for the cardholder's PIN. */
  get keypadWaiting(): boolean {
    return this.keypadEntry !== undefined;
  }

  /**
   * The cardholder at the reader's keypad: digits, `E` Enter, `C` Cancel. Keys pressed while no
   * entry is under way go nowhere, as on a real reader.
   */
  pressKeys(keys: string): void {
    for (const key of keys) {
      const entry = this.keypadEntry;
      if (!entry) return;
      if (key >= '0' && key <= '9') {
        if (entry.digits.length < 12) entry.digits.push(key.charCodeAt(0) - 0x30);
      } else if (key === 'C') {
        entry.end('cancel');
      } else if (key === 'E') {
        const { min, max } = this.profile.keypad!.pinLength;
        // A PIN of the wrong length is not sent: the entry starts over.
        if (entry.digits.length >= min && entry.digits.length <= max) entry.end('enter');
        else entry.digits.fill(0).length = 0;
      } else {
        throw new RangeError(`a keypad has digits, E and C, not "${key}"`);
      }
    }
  }

  /** Damages the next `count` answers the reader sends (see LineFaultKind). */
  injectLineFault(kind: LineFaultKind, count = 1): void {
    for (let i = 0; i < count; i++) this.lineFaults.push(kind);
  }

  /** Line faults still waiting for an answer to damage. */
  get pendingLineFaults(): number {
    return this.lineFaults.length;
  }

  /** Opens the line (again, after it was lost or closed), as the reader being plugged in. */
  async reopen(): Promise<void> {
    this.receiver.reset();
    await this.device.open();
  }

  /** Closes the reader's end of the line; the card stays in the slot, unpowered. */
  async close(): Promise<void> {
    this.receiver.reset();
    this.powerDown();
    await this.device.close();
  }

  private onLost(cause: Error | undefined): void {
    this.receiver.reset();
    // A reader that loses its supply (USB unplugged) takes the card's power with it.
    this.powerDown();
    this.emit('disconnected', cause);
  }

  private powerDown(): void {
    if (this.slot && this.powered) this.slot.powerOff();
    this.powered = false;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch(() => undefined);
  }

  private async handle(frame: Frame): Promise<void> {
    this.emit('received', frame);
    const name = this.byCode.get(frame.code);
    let answer: Answer;
    switch (name) {
      case 'powerOn':
        answer = this.powerOn();
        break;
      case 'powerOff':
        answer = this.powerOff();
        break;
      case 'apdu':
        answer = await this.apdu(frame.data);
        break;
      case 'cardStatus':
        answer = { status: 'ok', data: Buffer.from([this.cardState()]) };
        break;
      case 'keypadVerify':
        answer = await this.keypadVerify(frame.data);
        break;
      case 'keypadChange':
        answer = await this.keypadChange(frame.data);
        break;
      case 'beep': {
        const count = Math.max(1, frame.data[0] ?? 1);
        this.beeps += count;
        this.emit('beep', count);
        answer = { status: 'ok' };
        break;
      }
      case undefined:
        answer = { status: 'unknownCommand' };
        break;
    }
    const sent = answer ? await this.answer(answer.status, answer.data) : false;
    this.emit('command', { command: name ?? frame.code, status: sent ? answer?.status : undefined });
  }

  private cardState(): number {
    const states = this.profile.cardStates;
    if (!this.slot) return states.absent;
    return this.powered ? states.powered : states.present;
  }

  private powerOn(): Answer {
    const card = this.slot;
    if (!card) return { status: 'noCard' };
    try {
      const atr = card.powerOn();
      this.powered = true;
      return { status: 'ok', data: atr };
    } catch {
      // A card that cannot produce an ATR is, to the reader, a card that did not answer the reset.
      this.powered = false;
      return { status: 'cardMute' };
    }
  }

  private powerOff(): Answer {
    const card = this.slot;
    if (!card) return { status: 'noCard' };
    if (this.powered) card.powerOff();
    this.powered = false;
    return { status: 'ok' };
  }

  private async apdu(command: Buffer): Promise<Answer> {
    const card = this.slot;
    if (!card) return { status: 'noCard' };
    if (!this.powered) return { status: 'cardNotPowered' };
    if (card.takeLinkDrop()) return undefined;
    // A mute card answers nothing, and the reader only knows it once its deadline has passed.
    const deadline = new AbortController();
    const removed = new Promise<undefined>((resolve) => {
      this.pulled = () => resolve(undefined);
    });
    const answered = card.exchange(command).then((r) => r ?? new Promise<never>(() => {}));
    this.emit('exchange');
    const response = await Promise.race([
      answered,
      removed,
      sleep(this.cardResponseMs, undefined, { signal: deadline.signal }).catch(() => undefined),
    ]);
    deadline.abort();
    this.pulled = undefined;
    if (this.slot !== card) return { status: 'noCard' };
    if (response === undefined) return { status: 'cardMute' };
    // A response longer than the reader's buffer never reaches the host whole: to the host the
    // card did not answer (sscard convention; the profile has no status for it).
    if (1 + response.length > this.profile.framing.maxPayload) return { status: 'cardMute' };
    return { status: 'ok', data: response };
  }

  /**
   * VERIFY with a PIN from the keypad: the host gives the header, the reader takes the digits,
   * packs them in BCD (two a byte, F-padded to whole bytes) after Lc and sends the command to the
   * card like any APDU. The digits are wiped whatever the outcome.
   */
  private async keypadVerify(header: Buffer): Promise<Answer> {
    return this.keypadCommand(header, 1, ([pin]) => ({ data: pin! }));
  }

  /**
   * CHANGE PIN with the current PIN, the new one and its confirmation from the keypad: the new
   * entries must agree and pass sscard's new-PIN rule before anything goes to the card.
   */
  private async keypadChange(header: Buffer): Promise<Answer> {
    return this.keypadCommand(header, 3, ([oldPin, newPin, confirm]) => {
      if (!newPin!.equals(confirm!)) return { refused: { status: 'keypadEntriesDiffer' } };
      const list = bcdDigits(newPin!);
      const digits = Buffer.from(list);
      list.fill(0);
      const refusal = newPinRefusal(digits);
      digits.fill(0);
      if (refusal) {
        return {
          refused: {
            status: 'keypadNewPinRefused',
            data: Buffer.from([refusal === 'initial' ? 0x01 : 0x02]),
          },
        };
      }
      return { data: Buffer.concat([oldPin!, Buffer.from([0xff]), newPin!]) };
    });
  }

  /**
   * `entries` PINs from the keypad, each ended by Enter, packed in BCD (two a byte, F-padded), then
   * the command `header Lc data` to the card like any APDU — unless `build` refuses them. Every
   * PIN is wiped whatever the outcome; taking the card out ends the entry as no card.
   */
  private async keypadCommand(
    header: Buffer,
    entries: number,
    build: (pins: Buffer[]) => { data: Buffer } | { refused: { status: ReaderStatusName; data?: Buffer } },
  ): Promise<Answer> {
    const keypad = this.profile.keypad!;
    if (header.length !== 4) return { status: 'badLength' };
    const card = this.slot;
    if (!card) return { status: 'noCard' };
    if (!this.powered) return { status: 'cardNotPowered' };
    const pins: Buffer[] = [];
    try {
      for (let i = 0; i < entries; i++) {
        const digits: number[] = [];
        const how = await new Promise<'enter' | 'cancel' | 'timeout'>((resolve) => {
          const timer = setTimeout(() => entry.end('timeout'), keypad.entryTimeoutMs);
          const entry: KeypadEntry = {
            digits,
            end: (why) => {
              clearTimeout(timer);
              this.keypadEntry = undefined;
              resolve(why);
            },
          };
          this.keypadEntry = entry;
          this.emit('keypad-entry');
        });
        const pin = Buffer.alloc(Math.ceil(digits.length / 2), 0xff);
        digits.forEach((d, j) => {
          pin[j >> 1] = j % 2 === 0 ? (d << 4) | 0x0f : (pin[j >> 1]! & 0xf0) | d;
        });
        digits.fill(0);
        pins.push(pin);
        if (how !== 'enter') {
          // Taking the card out ends the entry: the reader reports the card, not a Cancel.
          if (this.slot !== card) return { status: 'noCard' };
          return { status: how === 'cancel' ? 'keypadCancelled' : 'keypadTimeout' };
        }
      }
      const built = build(pins);
      if ('refused' in built) return built.refused;
      const command = Buffer.concat([header, Buffer.from([built.data.length]), built.data]);
      built.data.fill(0);
      try {
        return await this.apdu(command);
      } finally {
        command.fill(0);
      }
    } finally {
      for (const pin of pins) pin.fill(0);
    }
  }

  /** Sends one answer frame, through the next line fault if one is queued; false if nothing was sent. */
  private async answer(status: ReaderStatusName, data: Buffer = Buffer.alloc(0)): Promise<boolean> {
    const frame = encodeFrame(this.profile.framing, { code: this.statusCodes[status], data });
    const writes = applyLineFault(this.lineFaults.shift(), this.profile.framing, frame);
    for (const { bytes, delayMs } of writes) {
      if (delayMs > 0) await sleep(delayMs);
      if (!(await this.device.write(bytes))) return false;
    }
    return writes.length > 0;
  }
}
