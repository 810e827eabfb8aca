import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isKeypadKey, type KeypadKey } from '@sscard/agent-protocol';
import { encipherPinBlock, type PinBlockFormat, ValidationError, wipe } from '@sscard/card-core';
import { encodeFrame, encodePinBlock, type Frame, type PinPadProfile } from '@sscard/firmware-profiles';
import { DevicePort } from './device-port.js';
import { FrameReceiver } from './frame-receiver.js';
import { applyLineFault, type LineFaultKind } from './line-faults.js';

type SerialTransport = Extract<PinPadProfile['transport'], { kind: 'serial' }>;

/** Reason byte of the pad's error event, as the profile lists them. */
const ERROR_REASON = { frame: 0x01, unknownCommand: 0x02, busy: 0x03, badParameter: 0x04 } as const;

/** The profile gives no inter-byte timeout for pads: the pad uses the host serial transport's. */
const DEFAULT_INTER_BYTE_MS = 200;

export interface SerialPinPadFirmwareOptions {
  path: string;
  profile: PinPadProfile;
  /** The pad's own timeout without a key; default the profile's entryTimeoutMs. */
  entryTimeoutMs?: number;
  /** Pause between scripted key presses; default none. */
  keyIntervalMs?: number;
  /**
   * True (default): Enter with too few digits is ignored, as the pad beeps and waits. False: the
   * pad sends whatever was typed and leaves the length check to the host.
   */
  enforceLength?: boolean;
  interByteMs?: number;
  /**
   * Terminal PIN keys injected into the pad, by ISO 9564 format (`sscard-hsm terminal-pin-key`):
   * with one, the pad takes enciphered entries for that format.
   */
  terminalPinKeys?: Partial<Record<PinBlockFormat, Buffer>>;
}

export type EntryEnd = 'pin-block' | 'cancelled' | 'timeout' | 'host-cancel' | 'line-lost';

export interface SerialPinPadFirmwareEvents {
  /** The host started an entry with these limits. */
  'entry-started': [limits: { minLength: number; maxLength: number }];
  'entry-ended': [reason: EntryEnd];
  /** The pad refused a command or a damaged frame with its error event. */
  'command-refused': [reason: keyof typeof ERROR_REASON];
  disconnected: [cause: Error | undefined];
}

interface Entry {
  /** The sequence number of the startEntry this entry answers (0 without sequence numbers). */
  seq: number;
  minLength: number;
  maxLength: number;
  pan: string | undefined;
  /** An enciphered entry: the block's format and the injected key it is enciphered under. */
  enciphered: { format: PinBlockFormat; key: Buffer } | undefined;
  digits: Buffer;
  count: number;
  timer: NodeJS.Timeout | undefined;
}

type Script = { kind: 'keys'; keys: KeypadKey[] } | { kind: 'idle' };

/**
 * A serial PIN pad as the serial PIN pad profile describes it. The host starts an entry; the pad
 * acknowledges it and then plays the cardholder's scripted key presses (`enterPin`, `pressKeys`,
 * `cancel`, or `stayIdle` for nobody typing): one key event per press with the count entered so
 * far, never the digit, and on Enter the PIN block in the profile's format.
 *
 * A script given while no entry runs waits for the next one; given during an entry, it plays at once.
 */
export class SerialPinPadFirmware extends EventEmitter<SerialPinPadFirmwareEvents> {
  readonly profile: PinPadProfile;
  private readonly transport: SerialTransport;
  private readonly device: DevicePort;
  private readonly receiver: FrameReceiver;
  private readonly entryTimeoutMs: number;
  private readonly keyIntervalMs: number;
  /** See SerialPinPadFirmwareOptions.enforceLength; may be changed between entries. */
  enforceLength: boolean;
  private entry: Entry | undefined;
  private script: Script | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly lineFaults: LineFaultKind[] = [];
  /** Every frame the host sent, for tests that check what the host asked for. */
  readonly received: Frame[] = [];
  private readonly terminalPinKeys: Partial<Record<PinBlockFormat, Buffer>>;

  constructor(options: SerialPinPadFirmwareOptions) {
    super();
    if (options.profile.transport.kind !== 'serial') {
      throw new ValidationError(
        'PINPAD_TRANSPORT',
        `PIN pad profile ${options.profile.id} is not a serial pad`,
      );
    }
    this.profile = options.profile;
    this.transport = options.profile.transport;
    this.entryTimeoutMs = options.entryTimeoutMs ?? options.profile.entryTimeoutMs;
    this.keyIntervalMs = options.keyIntervalMs ?? 0;
    this.enforceLength = options.enforceLength ?? true;
    this.terminalPinKeys = options.terminalPinKeys ?? {};
    this.device = new DevicePort(options.path, this.transport.line);
    this.receiver = new FrameReceiver(this.transport.framing, options.interByteMs ?? DEFAULT_INTER_BYTE_MS);
    this.device.on('data', (chunk) => this.receiver.push(chunk));
    this.device.on('lost', (cause) => {
      this.receiver.reset();
      this.endEntry('line-lost');
      this.emit('disconnected', cause);
    });
    this.receiver.on('frame', (frame) => this.enqueue(() => this.handle(frame)));
    this.receiver.on('broken', () => this.enqueue(() => this.refuse('frame', 0)));
  }

  static async open(options: SerialPinPadFirmwareOptions): Promise<SerialPinPadFirmware> {
    const pad = new SerialPinPadFirmware(options);
    await pad.reopen();
    return pad;
  }

  get path(): string {
    return this.device.path;
  }

  get connected(): boolean {
    return this.device.isOpen;
  }

  /** True while an entry started by the host is running. */
  get entryActive(): boolean {
    return this.entry !== undefined;
  }

  /** The cardholder types `pin` and presses Enter. */
  enterPin(pin: string): void {
    if (!/^\d+$/.test(pin)) throw new ValidationError('PIN_FORMAT', 'a PIN is digits only');
    this.pressKeys([...pin].map((d) => d as KeypadKey).concat('enter'));
  }

  /** The cardholder presses these keys, in order. */
  pressKeys(keys: readonly KeypadKey[]): void {
    for (const key of keys) {
      if (!isKeypadKey(key)) {
        throw new ValidationError('PINPAD_KEY', `not a PIN pad key: ${JSON.stringify(key)}`);
      }
    }
    this.arm({ kind: 'keys', keys: [...keys] });
  }

  /** The cardholder presses Cancel. */
  cancel(): void {
    this.arm({ kind: 'keys', keys: ['cancel'] });
  }

  /** Nobody types: the entry runs into the host's (or the pad's own) timeout. */
  stayIdle(): void {
    this.arm({ kind: 'idle' });
  }

  /** Damages the next `count` frames the pad sends (see LineFaultKind). */
  injectLineFault(kind: LineFaultKind, count = 1): void {
    for (let i = 0; i < count; i++) this.lineFaults.push(kind);
  }

  async reopen(): Promise<void> {
    this.receiver.reset();
    await this.device.open();
  }

  async close(): Promise<void> {
    this.receiver.reset();
    this.endEntry('line-lost');
    await this.device.close();
  }

  private arm(script: Script): void {
    if (this.entry) this.enqueue(() => this.play(script));
    else this.script = script;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch(() => undefined);
  }

  private async handle(frame: Frame): Promise<void> {
    this.received.push({ code: frame.code, data: Buffer.from(frame.data) });
    const { commands } = this.profile;
    // With sequence numbers each command's first data byte is its number, echoed in the answer.
    const sequenced = this.profile.sequenceNumbers;
    if (sequenced && frame.data.length === 0) return this.refuse('badParameter', 0);
    const seq = sequenced ? frame.data[0]! : 0;
    const data = sequenced ? frame.data.subarray(1) : frame.data;
    if (frame.code === commands.startEntry.code) await this.startEntry(data, seq);
    else if (commands.startEncipheredEntry && frame.code === commands.startEncipheredEntry.code) {
      await this.startEncipheredEntry(data, seq);
    } else if (frame.code === commands.cancel.code) {
      await this.send(this.profile.events.ack.code, Buffer.alloc(0), seq);
      this.endEntry('host-cancel');
    } else await this.refuse('unknownCommand', seq);
  }

  /** Data: min, max, format (0 or 4), PAN; refused without a key for that format. */
  private async startEncipheredEntry(data: Buffer, seq: number): Promise<void> {
    if (this.entry) return this.refuse('busy', seq);
    const format = data[2];
    const key = format === 0 || format === 4 ? this.terminalPinKeys[format] : undefined;
    const pan = data.subarray(3).toString('ascii');
    if (data.length < 3 || !key || (format !== 0 && format !== 4) || !/^\d{13,19}$/.test(pan)) {
      return this.refuse('badParameter', seq);
    }
    await this.startEntry(Buffer.concat([data.subarray(0, 2), data.subarray(3)]), seq, { format, key });
  }

  private async startEntry(
    data: Buffer,
    seq: number,
    enciphered?: { format: PinBlockFormat; key: Buffer },
  ): Promise<void> {
    if (this.entry) return this.refuse('busy', seq);
    const [minLength, maxLength] = [data[0] ?? 0, data[1] ?? 0];
    const pan = data.length > 2 ? data.subarray(2).toString('ascii') : undefined;
    const limits = this.profile.pinLength;
    const panNeeded = enciphered !== undefined || this.profile.pinBlock.format === 'iso9564-0';
    if (
      data.length < 2 ||
      minLength > maxLength ||
      minLength < limits.min ||
      maxLength > limits.max ||
      (panNeeded && !/^\d{13,19}$/.test(pan ?? ''))
    ) {
      return this.refuse('badParameter', seq);
    }
    await this.send(this.profile.events.ack.code, Buffer.alloc(0), seq);
    this.entry = {
      seq,
      minLength,
      maxLength,
      pan,
      enciphered,
      digits: Buffer.alloc(maxLength),
      count: 0,
      timer: undefined,
    };
    this.restartTimer();
    this.emit('entry-started', { minLength, maxLength });
    const script = this.script;
    this.script = undefined;
    if (script) await this.play(script);
  }

  private async play(script: Script): Promise<void> {
    if (script.kind === 'idle') return;
    for (const key of script.keys) {
      const entry = this.entry;
      if (!entry) return;
      if (this.keyIntervalMs > 0) await sleep(this.keyIntervalMs);
      if (this.entry !== entry) return;
      await this.press(entry, key);
    }
  }

  private async press(entry: Entry, key: KeypadKey): Promise<void> {
    const { events } = this.profile;
    this.restartTimer();
    switch (key) {
      case 'cancel':
        this.endEntry('cancelled');
        await this.send(events.cancelled.code, Buffer.alloc(0), entry.seq);
        return;
      case 'enter': {
        const short = entry.count < entry.minLength;
        if (short && this.enforceLength) return;
        const block = this.pinBlock(entry);
        this.endEntry('pin-block');
        await this.send(events.pinBlock.code, block, entry.seq);
        wipe(block);
        return;
      }
      case 'back':
        if (entry.count === 0) return;
        entry.digits[--entry.count] = 0;
        break;
      case 'clear':
        wipe(entry.digits);
        entry.count = 0;
        break;
      default:
        // A full pad ignores further digits (and beeps).
        if (entry.count >= entry.maxLength) return;
        entry.digits[entry.count++] = key.charCodeAt(0);
    }
    await this.send(events.keyPressed.code, Buffer.from([entry.count]), entry.seq);
  }

  /** The PIN block of the digits entered; BCD is packed from the digit buffer directly so any count fits. */
  private pinBlock(entry: Entry): Buffer {
    const digits = entry.digits.subarray(0, entry.count);
    if (entry.enciphered) {
      // The pad's own secret work: the PIN is enciphered before it leaves.
      return encipherPinBlock(
        entry.enciphered.format,
        entry.enciphered.key,
        digits.toString('ascii'),
        entry.pan!,
      );
    }
    if (this.profile.pinBlock.format === 'bcd') {
      const block = Buffer.alloc(Math.ceil(digits.length / 2), 0xff);
      digits.forEach((d, i) => {
        const nibble = d - 0x30;
        block[i >> 1] = i % 2 === 0 ? (nibble << 4) | 0x0f : (block[i >> 1]! & 0xf0) | nibble;
      });
      return block;
    }
    return encodePinBlock(this.profile.pinBlock.format, digits.toString('ascii'), entry.pan);
  }

  private restartTimer(): void {
    const entry = this.entry;
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (this.entry !== entry) return;
      this.endEntry('timeout');
      this.enqueue(() => this.send(this.profile.events.timeout.code, Buffer.alloc(0), entry.seq));
    }, this.entryTimeoutMs);
  }

  private endEntry(reason: EntryEnd): void {
    const entry = this.entry;
    if (!entry) return;
    this.entry = undefined;
    if (entry.timer) clearTimeout(entry.timer);
    wipe(entry.digits);
    this.emit('entry-ended', reason);
  }

  /** `seq`: the refused command's number; 0 for a damaged frame, whose number cannot be known. */
  private async refuse(reason: keyof typeof ERROR_REASON, seq: number): Promise<void> {
    this.emit('command-refused', reason);
    await this.send(this.profile.events.error.code, Buffer.from([ERROR_REASON[reason]]), seq);
  }

  /** A frame to the host; with sequence numbers its data starts with `seq`. */
  private async send(code: number, data: Buffer, seq: number): Promise<void> {
    const body = this.profile.sequenceNumbers ? Buffer.concat([Buffer.from([seq]), data]) : data;
    const frame = encodeFrame(this.transport.framing, { code, data: body });
    if (body !== data) wipe(body);
    for (const { bytes, delayMs } of applyLineFault(this.lineFaults.shift(), this.transport.framing, frame)) {
      if (delayMs > 0) await sleep(delayMs);
      if (!(await this.device.write(bytes))) break;
    }
    wipe(frame);
  }
}
