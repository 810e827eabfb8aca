import { EventEmitter } from 'node:events';
import type { Frame, SerialReaderProfile } from '@sscard/firmware-profiles';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from '@sscard/card-core';
import { ReaderError } from './errors.js';
import type {
  BackendSlot,
  CardChannel,
  KeypadOutcome,
  ReaderBackend,
  ReaderBackendEvents,
  ReaderKeypad,
} from './reader-backend.js';
import { SerialLink } from './serial-link.js';

export interface SerialReaderConfig {
  /** The reader's name as the terminal shows it; stable across unplug and replug. */
  name: string;
  /** Device path, e.g. /dev/ttyUSB0 or a udev symlink; reopened at the same path after a replug. */
  path: string;
  profile: SerialReaderProfile;
}

export interface SerialBackendOptions {
  readers: SerialReaderConfig[];
  /** Card status poll interval: serial readers report card presence only when asked. */
  pollIntervalMs?: number;
  backoff?: BackoffOptions;
}

/** How many times a request is sent again when the reader says it received a corrupted frame. */
const RESENDS = 2;

class SerialReader {
  link: SerialLink | undefined;
  atr: Buffer | undefined;
  present = false;
  channel: SerialChannel | undefined;
  readonly backoff: Backoff;
  timer: NodeJS.Timeout | undefined;
  announced = false;

  constructor(
    readonly config: SerialReaderConfig,
    backoff: BackoffOptions,
  ) {
    this.backoff = new Backoff(backoff);
  }

  get profile(): SerialReaderProfile {
    return this.config.profile;
  }

  /**
   * One command with the reader's answer. A "bad checksum / bad length" answer means our frame was
   * damaged on the way and the reader did nothing, so it is sent again. A damaged *answer* is sent
   * again only for `idempotent` commands (status, power, beep): the reader did act, but doing it
   * twice changes nothing. Any other answer is final.
   */
  async command(code: number, data: Buffer, extraMs = 0, idempotent = false): Promise<Frame> {
    const link = this.link;
    if (!link) {
      throw new ReaderError('ReaderGone', `"${this.config.name}" is not connected`, {
        reader: this.config.name,
      });
    }
    const { badChecksum, badLength } = this.profile.status;
    for (let attempt = 0; ; attempt++) {
      let answer: Frame;
      try {
        answer = await link.request(code, data, extraMs);
      } catch (e) {
        if (idempotent && attempt < RESENDS && e instanceof ReaderError && e.code === 'ReaderProtocol')
          continue;
        throw e;
      }
      if ((answer.code === badChecksum.code || answer.code === badLength.code) && attempt < RESENDS) continue;
      return answer;
    }
  }

  /** The error a non-ok answer stands for. */
  failure(answer: Frame, operation: string): ReaderError {
    const s = this.profile.status;
    const reader = this.config.name;
    const details = { reader, operation, status: answer.code };
    switch (answer.code) {
      case s.noCard.code:
        return new ReaderError('NoCard', `no card in "${reader}"`, details);
      case s.cardMute.code:
        return new ReaderError('CardMute', `the card in "${reader}" did not answer`, details);
      case s.cardNotPowered.code:
        return new ReaderError('ReaderFailure', `the card in "${reader}" lost power`, details);
      default:
        return new ReaderError(
          'ReaderProtocol',
          `"${reader}" refused ${operation} (status ${answer.code})`,
          details,
        );
    }
  }

  async powerOn(): Promise<Buffer> {
    const answer = await this.command(
      this.profile.commands.powerOn.code,
      Buffer.alloc(0),
      this.profile.timeouts.cardResponseMs,
      true,
    );
    if (answer.code !== this.profile.status.ok.code) throw this.failure(answer, 'power on');
    return answer.data;
  }

  async powerOff(): Promise<void> {
    const answer = await this.command(this.profile.commands.powerOff.code, Buffer.alloc(0), 0, true);
    if (answer.code !== this.profile.status.ok.code && answer.code !== this.profile.status.noCard.code) {
      throw this.failure(answer, 'power off');
    }
  }
}

/**
 * A card session on a serial reader: APDUs framed by the reader's protocol profile. A corrupted
 * answer frame is not resent here (the card may have acted on the APDU, a VERIFY counts a try);
 * the session resets the card and its caller starts over.
 */
class SerialChannel implements CardChannel {
  readonly keypad: ReaderKeypad | undefined;
  private closed = false;

  constructor(
    private readonly owner: SerialReader,
    public atr: Buffer,
    private readonly onClosed: () => void,
  ) {
    const keypad = owner.profile.keypad;
    this.keypad = keypad && {
      verify: (header) => this.keypadCommand(keypad, keypad.verify.code, header, 1),
      change: (header) => this.keypadCommand(keypad, keypad.change.code, header, 3),
    };
  }

  /**
   * A keypad command: the host waits for the cardholder as long as the reader does for each of
   * the `entries` PINs, and for the card.
   */
  private async keypadCommand(
    keypad: NonNullable<SerialReaderProfile['keypad']>,
    code: number,
    header: Buffer,
    entries: number,
  ): Promise<KeypadOutcome> {
    this.assertOpen();
    const answer = await this.guard(() =>
      this.owner.command(
        code,
        header,
        entries * keypad.entryTimeoutMs + this.owner.profile.timeouts.cardResponseMs,
      ),
    );
    if (answer.code === keypad.cancelled.code) return { outcome: 'cancelled' };
    if (answer.code === keypad.timeout.code) return { outcome: 'timeout' };
    if (answer.code === keypad.entriesDiffer.code) return { outcome: 'entriesDiffer' };
    if (answer.code === keypad.newPinRefused.code)
      return { outcome: 'newPinRefused', refusal: answer.data[0] === 0x01 ? 'initial' : 'trivial' };
    if (answer.code !== this.owner.profile.status.ok.code)
      throw this.removedOr(this.owner.failure(answer, 'keypad verify'));
    return { outcome: 'answered', response: answer.data };
  }

  get reader(): string {
    return this.owner.config.name;
  }

  async transmit(command: Buffer): Promise<Buffer> {
    this.assertOpen();
    const answer = await this.guard(() =>
      this.owner.command(
        this.owner.profile.commands.apdu.code,
        command,
        this.owner.profile.timeouts.cardResponseMs,
      ),
    );
    if (answer.code !== this.owner.profile.status.ok.code)
      throw this.removedOr(this.owner.failure(answer, 'APDU'));
    return answer.data;
  }

  async reset(): Promise<Buffer> {
    this.assertOpen();
    this.atr = await this.guard(async () => {
      await this.owner.powerOff();
      return this.owner.powerOn();
    });
    return this.atr;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.owner.link?.alive) await this.owner.powerOff();
    } catch {
      // The card or the reader is gone; there is nothing left to power off.
    } finally {
      this.onClosed();
    }
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new ReaderError('SessionClosed', `the card session on "${this.reader}" is closed`, {
        reader: this.reader,
      });
    }
  }

  private async guard<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (e) {
      throw this.removedOr(e);
    }
  }

  /** A card that is no longer there explains any failure better than the failure itself. */
  private removedOr(e: unknown): unknown {
    if (e instanceof ReaderError && e.code === 'NoCard') {
      return new ReaderError('CardRemoved', `the card was removed from "${this.reader}"`, {
        reader: this.reader,
      });
    }
    return e;
  }
}

/**
 * Serial readers named in configuration. Each is opened, asked for card status at the poll
 * interval (the device's own protocol has no events), and, when its port closes or stops
 * answering, reopened at the same path with back-off: an unplugged reader comes back by itself.
 */
export class SerialBackend extends EventEmitter<ReaderBackendEvents> implements ReaderBackend {
  readonly kind = 'serial' as const;
  private readonly readers: SerialReader[];
  private readonly pollIntervalMs: number;
  private running = false;

  constructor(options: SerialBackendOptions) {
    super();
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.readers = options.readers.map((c) => new SerialReader(c, options.backoff ?? DEFAULT_BACKOFF));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const reader of this.readers) void this.open(reader);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const reader of this.readers) {
      if (reader.timer) clearTimeout(reader.timer);
      reader.timer = undefined;
      await reader.channel?.close();
      await reader.link?.close();
      reader.link = undefined;
    }
  }

  slots(): BackendSlot[] {
    return this.readers
      .filter((r) => r.announced)
      .map((r) => ({
        name: r.config.name,
        kind: 'serial' as const,
        atr: r.atr,
        ...(r.profile.keypad ? { keypad: true, keypadChange: true } : {}),
      }));
  }

  async connect(name: string): Promise<CardChannel> {
    const reader = this.readers.find((r) => r.config.name === name && r.announced);
    if (!reader)
      throw new ReaderError('ReaderNotFound', `no serial reader named "${name}"`, { reader: name });
    if (reader.channel)
      throw new ReaderError('ReaderBusy', `"${name}" already has an open card session`, { reader: name });
    // Only an announced card: until then the backend's own power-up probe owns the card.
    if (!reader.present || !reader.atr)
      throw new ReaderError('NoCard', `no card in "${name}"`, { reader: name });
    const atr = await reader.powerOn();
    const channel = new SerialChannel(reader, atr, () => {
      if (reader.channel === channel) reader.channel = undefined;
    });
    reader.channel = channel;
    return channel;
  }

  private schedule(reader: SerialReader, action: () => Promise<void>, delayMs: number): void {
    if (!this.running) return;
    reader.timer = setTimeout(() => {
      reader.timer = undefined;
      void action();
    }, delayMs);
  }

  private async open(reader: SerialReader): Promise<void> {
    if (!this.running) return;
    try {
      const link = await SerialLink.open(reader.config.path, reader.profile);
      if (!this.running) {
        await link.close();
        return;
      }
      reader.link = link;
      link.on('lost', () => this.lost(reader, link));
      await this.poll(reader, true);
    } catch {
      // Not plugged in yet, or gone again: try later, less often the longer it stays away.
      this.schedule(reader, () => this.open(reader), reader.backoff.next());
    }
  }

  private async poll(reader: SerialReader, first = false): Promise<void> {
    const link = reader.link;
    if (!this.running || !link?.alive) return;
    try {
      const answer = await reader.command(reader.profile.commands.cardStatus.code, Buffer.alloc(0), 0, true);
      if (answer.code !== reader.profile.status.ok.code || answer.data.length < 1) {
        throw reader.failure(answer, 'card status');
      }
      if (first || !reader.announced) {
        reader.announced = true;
        reader.backoff.reset();
        this.emit('reader-added', reader.config.name);
      }
      await this.updateCard(reader, answer.data[0] !== reader.profile.cardStates.absent);
    } catch (e) {
      if (e instanceof ReaderError && e.code === 'ReaderGone') {
        this.lost(reader, link);
        return;
      }
      // A damaged status frame is line noise: the next poll asks again.
    }
    this.schedule(reader, () => this.poll(reader), this.pollIntervalMs);
  }

  private async updateCard(reader: SerialReader, present: boolean): Promise<void> {
    if (present === reader.present) return;
    reader.present = present;
    if (!present) {
      if (reader.atr) {
        reader.atr = undefined;
        this.emit('card-removed', reader.config.name);
      }
      return;
    }
    if (reader.channel) return;
    // Like pcscd, power the card once to learn its ATR; a card that stays mute is not announced.
    try {
      const atr = await reader.powerOn();
      await reader.powerOff();
      // Announced only now: a session opened earlier would have had its card powered off under it.
      if (!reader.present) return;
      reader.atr = atr;
      this.emit('card-inserted', reader.config.name, atr);
    } catch (e) {
      if (e instanceof ReaderError && e.code === 'ReaderGone') throw e;
      // A mute card stays unannounced until it is taken out; anything else is asked about again.
      if (!(e instanceof ReaderError && e.code === 'CardMute')) reader.present = false;
    }
  }

  private lost(reader: SerialReader, link: SerialLink): void {
    if (reader.link !== link) return;
    reader.link = undefined;
    void link.close();
    if (reader.timer) clearTimeout(reader.timer);
    reader.timer = undefined;
    if (reader.announced) {
      reader.announced = false;
      if (reader.atr) this.emit('card-removed', reader.config.name);
      this.emit('reader-removed', reader.config.name);
    }
    reader.atr = undefined;
    reader.present = false;
    this.schedule(reader, () => this.open(reader), reader.backoff.next());
  }
}
