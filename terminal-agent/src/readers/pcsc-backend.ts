import { EventEmitter } from 'node:events';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from '@sscard/card-core';
import { PCSC_FEATURE } from '@sscard/card-core';
import { ReaderError } from './errors.js';
import { PcscChannel } from './pcsc-channel.js';
import { classifyPcscFailure, decodeSlotState, readerErrorFromPcsc } from './pcsc-status.js';
import {
  loadPcscContextFactory,
  type PcscCardReader,
  type PcscContext,
  type PcscContextFactory,
  type PcscReaderStatus,
} from './pcsclite-binding.js';
import type { BackendSlot, CardChannel, ReaderBackend, ReaderBackendEvents } from './reader-backend.js';

export interface PcscBackendOptions {
  /** The binding's context factory; the real `pcsclite` unless a caller wraps it. */
  contextFactory?: PcscContextFactory;
  /** Re-establishing the PC/SC context after pcscd went away. */
  backoff?: BackoffOptions;
  /** How long one APDU may take before the card counts as mute (default 5 s). Real cards answer in well under a second. */
  deadlineMs?: number;
}

interface PcscSlot {
  readonly name: string;
  readonly binding: PcscCardReader;
  atr: Buffer | undefined;
  /** pcscd's per-reader card event counter (high word of the state): tells a swap from a still-present card. */
  events: number;
  channel: PcscChannel | undefined;
  /** The reader's PC/SC part 10 features, read at its first card session; undefined until then. */
  features: Map<number, number> | undefined;
}

const SHARE_PROTOCOLS = (r: PcscCardReader): number => r.SCARD_PROTOCOL_T0 | r.SCARD_PROTOCOL_T1;

/** How long `stop()` waits for the cards' native calls to come back before leaving them parked. */
const STOP_GRACE_MS = 1_000;

/** How long a failed power-up waits for pcscd to report the card's removal (it polls slots every 400 ms). */
const CONNECT_SETTLE_MS = 1_500;

/**
 * PC/SC readers through pcscd. Reader and card events from the binding are hints; the truth is
 * re-read whenever the context is (re-)established: when pcscd dies the binding's watchers stop
 * for good, so the backend drops every slot (announcing the removals), creates a new context with
 * back-off and announces what the restarted pcscd reports.
 */
export class PcscBackend extends EventEmitter<ReaderBackendEvents> implements ReaderBackend {
  readonly kind = 'pcsc' as const;
  private context: PcscContext | undefined;
  private readonly slotsByName = new Map<string, PcscSlot>();
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** Whether the current outage was already reported, so a long one is one `error`, not one per retry. */
  private outageReported = false;
  private readonly deadlineMs: number;
  /** Channels whose native call had not come back when the backend stopped. */
  private parked: PcscChannel[] = [];
  /** Native closes queued out of the binding's callbacks (see `closeOutsideCallback`). */
  private readonly pendingCloses = new Set<Promise<void>>();

  constructor(private readonly options: PcscBackendOptions = {}) {
    super();
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.deadlineMs = options.deadlineMs ?? 5_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.establish();
  }

  /**
   * Releases every card and the context. A channel whose native call does not come back within
   * `STOP_GRACE_MS` (a mute card: vpcd has no response timeout) is left where it is: its reader is
   * not closed either, since the binding's close takes the mutex that call holds and would block
   * the main thread for good. `parkedNativeCalls` then says how many pool threads stay parked.
   */
  async stop(): Promise<void> {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const channels = [...this.slotsByName.values()].flatMap((s) => (s.channel ? [s.channel] : []));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(channels.map((c) => c.close())),
      new Promise<void>((resolve) => {
        grace = setTimeout(resolve, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    this.parked = channels.filter((c) => c.nativeCallInFlight);
    this.discardContext(false);
    await Promise.all([...this.pendingCloses]);
  }

  /** Native calls left in the binding by `stop()`, each holding a pool thread (see `stop`). */
  get parkedNativeCalls(): number {
    return this.parked.filter((c) => c.nativeCallInFlight).length;
  }

  /**
   * The binding delivers a reader's status, `error` and `end` while holding that reader's native
   * mutex, and its `close()` takes the same mutex: closing from inside one of those callbacks
   * deadlocks Node's main thread. Every native close therefore runs on a later turn of the loop.
   */
  private closeOutsideCallback(close: () => void): void {
    const done = new Promise<void>((resolve) =>
      setImmediate(() => {
        try {
          close();
        } catch {
          // The watcher already stopped; nothing left to release.
        }
        resolve();
      }),
    );
    this.pendingCloses.add(done);
    void done.then(() => this.pendingCloses.delete(done));
  }

  /** Whether pcscd is reachable right now (a context is established). */
  get available(): boolean {
    return this.context !== undefined;
  }

  slots(): BackendSlot[] {
    return [...this.slotsByName.values()].map((s) => ({
      name: s.name,
      kind: 'pcsc',
      atr: s.atr,
      ...(s.features?.has(PCSC_FEATURE.VERIFY_PIN_DIRECT) ? { keypad: true } : {}),
      ...(s.features?.has(PCSC_FEATURE.VERIFY_PIN_DIRECT) && s.features.has(PCSC_FEATURE.MODIFY_PIN_DIRECT)
        ? { keypadChange: true }
        : {}),
    }));
  }

  async connect(name: string): Promise<CardChannel> {
    const slot = this.slotsByName.get(name);
    if (!slot) {
      throw this.context
        ? new ReaderError('ReaderNotFound', `no PC/SC reader named "${name}"`, { reader: name })
        : new ReaderError('ServiceUnavailable', 'the PC/SC service is not available', { reader: name });
    }
    if (slot.channel) {
      throw new ReaderError('ReaderBusy', `"${name}" already has an open card session`, { reader: name });
    }
    if (!slot.atr) throw new ReaderError('NoCard', `no card in "${name}"`, { reader: name });
    const atr = slot.atr;
    const protocol = await this.connectExclusive(slot);
    const channel = new PcscChannel(slot.binding, name, atr, protocol, {
      deadlineMs: this.deadlineMs,
      cardPresent: () => this.slotsByName.get(name) === slot && slot.atr !== undefined,
      onReleased: () => {
        if (slot.channel === channel) slot.channel = undefined;
      },
    });
    slot.channel = channel;
    try {
      // Once per reader: whether it has a PIN pad that builds the VERIFY itself (PC/SC part 10).
      slot.features ??= await channel.features();
    } catch (e) {
      await channel.close();
      throw e;
    }
    const verify = slot.features.get(PCSC_FEATURE.VERIFY_PIN_DIRECT);
    if (verify !== undefined) {
      channel.usePinPad({ verify, modify: slot.features.get(PCSC_FEATURE.MODIFY_PIN_DIRECT) });
    }
    return channel;
  }

  private async connectExclusive(slot: PcscSlot): Promise<number> {
    const r = slot.binding;
    try {
      return await new Promise<number>((resolve, reject) => {
        r.connect({ share_mode: r.SCARD_SHARE_EXCLUSIVE, protocol: SHARE_PROTOCOLS(r) }, (err, protocol) => {
          if (err) reject(err);
          else resolve(protocol ?? r.SCARD_PROTOCOL_T1);
        });
      });
    } catch (err) {
      throw await this.connectFailure(slot, err);
    }
  }

  /**
   * SCardConnect could not power the card up (unpowered, unresponsive): either the card left the
   * slot a moment ago and its removal is still on the way from pcscd, or it is in and does not
   * answer the reset. The slot's state tells them apart once it has had time to settle.
   */
  private async connectFailure(slot: PcscSlot, err: unknown): Promise<ReaderError> {
    const error = readerErrorFromPcsc(err, slot.name, 'SCardConnect');
    const kind = classifyPcscFailure(err);
    if (kind !== 'reset' && kind !== 'mute') return error;
    const gone = () => this.slotsByName.get(slot.name) !== slot || slot.atr === undefined;
    if (!gone()) {
      await new Promise<void>((resolve) => {
        const onRemoved = (name: string) => {
          if (name !== slot.name) return;
          clearTimeout(timer);
          this.off('card-removed', onRemoved);
          resolve();
        };
        const timer = setTimeout(() => {
          this.off('card-removed', onRemoved);
          resolve();
        }, CONNECT_SETTLE_MS);
        this.on('card-removed', onRemoved);
      });
    }
    if (gone()) {
      return new ReaderError('NoCard', `no card in "${slot.name}"`, { reader: slot.name }, { cause: error });
    }
    return new ReaderError(
      'CardMute',
      `the card in "${slot.name}" did not answer the reset`,
      { reader: slot.name, ...error.details },
      { cause: error },
    );
  }

  private establish(): void {
    this.retryTimer = undefined;
    if (!this.running) return;
    let context: PcscContext;
    try {
      context = (this.options.contextFactory ?? loadPcscContextFactory())();
    } catch (e) {
      this.reportOutage(e);
      this.scheduleEstablish();
      return;
    }
    this.context = context;
    this.backoff.reset();
    this.outageReported = false;
    context.on('error', (err) => this.onContextFailure(context, err));
    context.on('reader', (binding) => this.onReader(context, binding));
  }

  private scheduleEstablish(): void {
    if (!this.running || this.retryTimer) return;
    this.retryTimer = setTimeout(() => this.establish(), this.backoff.next());
    // A daemon waiting for pcscd must still be able to exit when asked to.
    this.retryTimer.unref();
  }

  private reportOutage(cause: unknown): void {
    if (this.outageReported) return;
    this.outageReported = true;
    const error =
      classifyPcscFailure(cause) === 'service'
        ? new ReaderError(
            'ServiceUnavailable',
            'the PC/SC service (pcscd) is not available; retrying',
            {},
            { cause },
          )
        : readerErrorFromPcsc(cause, '(all)', 'PC/SC context');
    this.emit('error', error);
  }

  /** The context's watcher stopped (pcscd gone, or a failure we cannot see past): start over. */
  private onContextFailure(context: PcscContext, cause: unknown): void {
    if (context !== this.context) return;
    this.discardContext(true);
    this.reportOutage(cause);
    this.scheduleEstablish();
  }

  private discardContext(announce: boolean): void {
    const context = this.context;
    this.context = undefined;
    for (const slot of [...this.slotsByName.values()]) this.dropSlot(slot, announce);
    if (context) {
      context.removeAllListeners('reader');
      context.removeAllListeners('error');
      context.on('error', () => undefined);
      this.closeOutsideCallback(() => context.close());
    }
  }

  private onReader(context: PcscContext, binding: PcscCardReader): void {
    binding.on('error', (err) => this.onReaderFailure(context, binding, err));
    if (context !== this.context) {
      this.closeOutsideCallback(() => binding.close());
      return;
    }
    const previous = this.slotsByName.get(binding.name);
    if (previous) this.dropSlot(previous, true);
    const slot: PcscSlot = {
      name: binding.name,
      binding,
      atr: undefined,
      events: -1,
      channel: undefined,
      features: undefined,
    };
    this.slotsByName.set(slot.name, slot);
    binding.on('end', () => {
      if (this.slotsByName.get(slot.name) === slot) this.dropSlot(slot, true);
    });
    binding.on('status', (status) => this.onStatus(slot, status));
    this.emit('reader-added', slot.name);
  }

  /**
   * A reader's watcher failed. When pcscd died the context fails too and starts over; any other
   * failure leaves a reader nobody watches, so the whole picture is re-read from a fresh context.
   */
  private onReaderFailure(context: PcscContext, binding: PcscCardReader, cause: unknown): void {
    if (context !== this.context) return;
    if (classifyPcscFailure(cause) !== 'service') {
      this.emit('error', readerErrorFromPcsc(cause, binding.name, 'SCardGetStatusChange'));
    }
    this.onContextFailure(context, cause);
  }

  private onStatus(slot: PcscSlot, status: PcscReaderStatus): void {
    if (this.slotsByName.get(slot.name) !== slot) return;
    const state = decodeSlotState(status.state);
    const events = status.state >>> 16;
    const atr = state.present && !state.mute && status.atr && status.atr.length > 0 ? status.atr : undefined;
    const had = slot.atr;
    // Our own exclusive connection and resets change the flags but not the card: a swap is a new
    // event count (insertion and removal both count) or a different ATR while a card is present.
    const swapped =
      had !== undefined &&
      atr !== undefined &&
      (!had.equals(atr) || (slot.events >= 0 && events !== slot.events && !slot.channel));
    slot.events = events;
    if (had && (!atr || swapped)) {
      slot.atr = undefined;
      slot.channel?.markRemoved();
      this.emit('card-removed', slot.name);
    }
    if (atr && (!had || swapped)) {
      slot.atr = Buffer.from(atr);
      this.emit('card-inserted', slot.name, slot.atr);
    }
  }

  private dropSlot(slot: PcscSlot, announce: boolean): void {
    this.slotsByName.delete(slot.name);
    slot.channel?.markLost();
    slot.binding.removeAllListeners('status');
    slot.binding.removeAllListeners('end');
    slot.binding.removeAllListeners('error');
    slot.binding.on('error', () => undefined);
    // The binding's close waits for the reader's mutex, which a call still in the binding holds.
    const channel = slot.channel;
    if (channel?.nativeCallInFlight) {
      void channel.close().then(() => this.closeOutsideCallback(() => slot.binding.close()));
    } else {
      this.closeOutsideCallback(() => slot.binding.close());
    }
    if (!announce) return;
    if (slot.atr) this.emit('card-removed', slot.name);
    this.emit('reader-removed', slot.name);
  }
}
