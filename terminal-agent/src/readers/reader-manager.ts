import { EventEmitter } from 'node:events';
import type {
  CardInsertedEvent,
  CardRemovedEvent,
  ReaderCardState,
  ReaderState,
} from '@sscard/agent-protocol';
import { type ReaderLink, sameCardHistorical, toHex } from '@sscard/card-core';
import type { Logger } from '@sscard/log';
import { ReaderError } from './errors.js';
import type { BackendSlot, CardChannel, ReaderBackend, ReaderKind } from './reader-backend.js';
import { ReaderLock } from './reader-lock.js';
import { TracedChannel } from './traced-channel.js';
import type { ReaderRole, ReaderRoleAssignment, ReaderRoleResolver } from './reader-roles.js';

export type { CardInsertedEvent, CardRemovedEvent, ReaderCardState, ReaderState };

/** Payloads are plain JSON so the local API can forward them to socket.io clients as they are. */
export interface ReaderManagerEvents {
  'reader-added': [reader: ReaderState];
  'reader-removed': [reader: { name: string; kind: ReaderKind; role: ReaderRole }];
  'card-inserted': [event: CardInsertedEvent];
  'card-removed': [event: CardRemovedEvent];
  error: [error: ReaderError];
}

export interface ReaderManagerOptions {
  backends: ReaderBackend[];
  /** Role of each slot; by default every slot is a user slot. */
  roles?: ReaderRoleResolver;
  /** Names the card operating system behind an ATR (firmware-profiles' card OS profiles). */
  cardOs?: (atr: Buffer) => string | undefined;
  /** What each reader carries, from its profile: extended APDUs, buffer sizes, who does GET RESPONSE. */
  readerLink?: (name: string, kind: ReaderKind) => ReaderLink | undefined;
  /** Where each card exchange is written at debug level (`log.apduTrace`); no trace without it. */
  apduTrace?: Logger;
}

/** An exclusive hold on one card: the channel plus the release of the reader's lock. */
export interface HeldCard {
  readonly channel: CardChannel;
  readonly state: ReaderState;
  /**
   * What holders noted about the card's state (an application selected) while it stays powered
   * and connected. Empty after every new connection; whoever resets the card clears it.
   */
  readonly memo: Map<string, unknown>;
  /** What the reader carries (its profile's quirks); undefined when nothing is known of it. */
  readonly link?: ReaderLink | undefined;
  /**
   * Lets the next caller have the reader. The channel is closed (power off), except on a hold
   * asked with `keepConnected` that ends `clean`: then it stays connected for the next holder.
   */
  release(options?: { clean?: boolean }): Promise<void>;
}

export interface HoldOptions {
  reader?: string;
  roles?: readonly ReaderRole[];
  /**
   * Keep the card connected between holds (the terminal's PSAM, which never leaves its slot and
   * serves every card read): a clean release leaves it powered and connected exclusively, so the
   * next hold costs no connect, no power-up and no re-selection. Never for a citizen's card, whose
   * release must power it off so that no authentication outlives the session.
   */
  keepConnected?: boolean;
}

interface ParkedChannel {
  readonly channel: CardChannel;
  readonly memo: Map<string, unknown>;
}

/**
 * All readers of the terminal, PC/SC and serial, behind one set of events and one `list()`.
 * Ignored slots never appear. Backends announce only real changes; the manager adds roles and
 * card OS names and hands out exclusive holds on cards, one at a time per reader.
 */
export class ReaderManager extends EventEmitter<ReaderManagerEvents> {
  private readonly backends: ReaderBackend[];
  private readonly roles: ReaderRoleResolver;
  private readonly cardOs: (atr: Buffer) => string | undefined;
  private readonly apduTrace: Logger | undefined;
  private readonly readerLink: (name: string, kind: ReaderKind) => ReaderLink | undefined;
  private readonly locks = new Map<string, ReaderLock>();
  /** Readers whose last card stopped answering: their release waits for the card to be pulled. */
  private readonly stalled = new Set<string>();
  /** Connections kept between holds (`keepConnected`), by reader; only while nobody holds them. */
  private readonly parked = new Map<string, ParkedChannel>();
  /** Parked connections being closed, so that a new connection waits for the old handle to go. */
  private readonly closing = new Map<string, Promise<void>>();
  /** The card OS behind each ATR seen, so that listing readers does not match profiles every time. */
  private readonly cardStates = new Map<string, ReaderCardState>();
  /**
   * Each slot's role: a function of its name and kind alone (configuration and profiles do not
   * change while the agent runs), asked for several times per card operation.
   */
  private readonly roleCache = new Map<string, ReaderRoleAssignment>();
  private started = false;

  constructor(options: ReaderManagerOptions) {
    super();
    this.backends = options.backends;
    const resolve: ReaderRoleResolver = options.roles ?? (() => ({ role: 'user' }));
    this.roles = (name, kind) => {
      const key = `${kind}:${name}`;
      let assignment = this.roleCache.get(key);
      if (!assignment) {
        assignment = resolve(name, kind);
        // Few readers pass through one terminal; the bound only guards against a hostile stream.
        if (this.roleCache.size >= 256) this.roleCache.clear();
        this.roleCache.set(key, assignment);
      }
      return assignment;
    };
    this.cardOs = options.cardOs ?? (() => undefined);
    this.apduTrace = options.apduTrace;
    this.readerLink = options.readerLink ?? (() => undefined);
    for (const backend of this.backends) this.follow(backend);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const backend of this.backends) backend.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.parked.keys()].map((name) => this.unpark(name)));
    await Promise.all(this.backends.map((b) => b.stop()));
  }

  /**
   * Native reader calls still parked after `stop()`: a card that never answered keeps a thread of
   * Node's pool, and Node joins that pool when the process exits.
   */
  get parkedNativeCalls(): number {
    return this.backends.reduce((n, b) => n + (b.parkedNativeCalls ?? 0), 0);
  }

  list(): ReaderState[] {
    return this.backends
      .flatMap((b) => b.slots())
      .map((slot) => this.stateOf(slot))
      .filter((s) => s.role !== 'ignore');
  }

  /** The state of one reader, or undefined when there is no such (non-ignored) reader. */
  get(name: string): ReaderState | undefined {
    return this.list().find((r) => r.name === name);
  }

  /**
   * Takes the card in `reader`, or, without a name, in the only reader of the first role (in
   * `roles` order) that holds a card. Waits while another session holds the same reader. With
   * several cards present and no name, fails with `ReaderAmbiguous` so the operator can choose.
   */
  async hold(options: HoldOptions = {}): Promise<HeldCard> {
    const name = options.reader ?? this.pickReader(options.roles ?? ['user']);
    const located = this.locate(name);
    if (this.stalled.has(name)) {
      // Queueing behind the stuck release would hang the caller until someone pulls the card.
      throw new ReaderError(
        'CardMute',
        `the card in "${name}" stopped answering; take it out and insert it again`,
        { reader: name },
      );
    }
    const lock = this.lockOf(name);
    const release = await lock.acquire();
    let channel: CardChannel;
    let memo: Map<string, unknown>;
    try {
      const parked = this.parked.get(name);
      if (parked && options.keepConnected && this.has(name)) {
        this.parked.delete(name);
        ({ channel, memo } = parked);
      } else {
        if (this.parked.has(name) || this.closing.has(name)) await this.unpark(name);
        // The card may have left while this caller waited for the reader.
        channel = await located.backend.connect(name);
        if (this.apduTrace) channel = new TracedChannel(channel, this.apduTrace);
        memo = new Map();
      }
    } catch (e) {
      release();
      throw e;
    }
    let released: Promise<void> | undefined;
    return {
      channel,
      state: this.stateOf(located.slot),
      link: this.readerLink(located.slot.name, located.slot.kind),
      memo,
      release: ({ clean = false } = {}) => {
        if (!released) {
          const stalled = channel.stalled === true;
          if (options.keepConnected && clean && !stalled && this.has(name)) {
            this.parked.set(name, { channel, memo });
            release();
            released = Promise.resolve();
            return released;
          }
          if (stalled) this.stalled.add(name);
          released = channel.close().finally(() => {
            if (stalled) this.stalled.delete(name);
            release();
          });
        }
        return released;
      },
    };
  }

  /** Whether the reader is still there with a card in it. */
  private has(name: string): boolean {
    try {
      return this.locate(name).slot.atr !== undefined;
    } catch {
      return false;
    }
  }

  /**
   * Closes a connection kept between holds once its card or reader is gone (or the manager
   * stops). Nobody holds a parked connection, so it closes at once; a caller who takes the reader
   * meanwhile waits for the close and then meets the slot as it is, not a stale handle.
   */
  private unpark(name: string): Promise<void> {
    const parked = this.parked.get(name);
    if (!parked) return this.closing.get(name) ?? Promise.resolve();
    this.parked.delete(name);
    const closing = parked.channel.close().catch(() => undefined);
    this.closing.set(name, closing);
    void closing.then(() => {
      if (this.closing.get(name) === closing) this.closing.delete(name);
    });
    return closing;
  }

  /** The PSAM slot with a module in it, if the terminal has one. */
  psamReader(): ReaderState | undefined {
    for (const backend of this.backends) {
      for (const slot of backend.slots()) {
        if (slot.atr !== undefined && this.roles(slot.name, slot.kind).role === 'psam')
          return this.stateOf(slot);
      }
    }
    return undefined;
  }

  private pickReader(roles: readonly ReaderRole[]): string {
    // Names, roles and whether a card is in: all a choice needs, without each card's full state.
    const readers = this.backends.flatMap((b) =>
      b.slots().flatMap((slot) => {
        const { role } = this.roles(slot.name, slot.kind);
        return roles.includes(role)
          ? [{ name: slot.name, role, card: slot.atr !== undefined && !this.shadowed(slot) }]
          : [];
      }),
    );
    const psam = roles.length === 1 && roles[0] === 'psam';
    if (readers.length === 0) {
      throw new ReaderError(
        'ReaderNotFound',
        psam ? 'the terminal has no PSAM reader' : 'no card reader is connected',
        {
          roles,
        },
      );
    }
    for (const role of roles) {
      const withCard = readers.filter((r) => r.role === role && r.card);
      if (withCard.length === 1) return withCard[0]!.name;
      if (withCard.length > 1) {
        throw new ReaderError('ReaderAmbiguous', 'cards are present in several readers; choose one', {
          readers: withCard.map((r) => r.name),
        });
      }
    }
    throw new ReaderError('NoCard', psam ? 'no PSAM in the PSAM reader' : 'no card in any reader', {
      roles,
      readers: readers.map((r) => r.name),
    });
  }

  private locate(name: string): { backend: ReaderBackend; slot: BackendSlot } {
    for (const backend of this.backends) {
      const slot = backend.slots().find((s) => s.name === name);
      if (slot && this.roles(slot.name, slot.kind).role !== 'ignore') return { backend, slot };
    }
    throw new ReaderError('ReaderNotFound', `no reader named "${name}"`, { reader: name });
  }

  private lockOf(name: string): ReaderLock {
    let lock = this.locks.get(name);
    if (!lock) {
      lock = new ReaderLock();
      this.locks.set(name, lock);
    }
    return lock;
  }

  private stateOf(slot: BackendSlot): ReaderState {
    const { role, profile } = this.roles(slot.name, slot.kind);
    const state: ReaderState = { name: slot.name, kind: slot.kind, role };
    if (slot.keypad) state.pinEntry = 'keypad';
    if (slot.keypad && slot.keypadChange) state.pinChangeEntry = 'keypad';
    if (profile !== undefined) state.profile = profile;
    if (slot.atr && !this.shadowed(slot)) state.card = this.cardStateOf(slot.atr);
    return state;
  }

  /**
   * A dual-interface card in a reader with a contact and a contactless slot is seen in both: the
   * contactless slot's card is shadowed while a contact slot of the same reader (the name without
   * its slot number) holds the card with the same historical bytes, so the card is offered once,
   * through its contacts.
   */
  private shadowed(slot: BackendSlot): boolean {
    if (!slot.atr || this.roles(slot.name, slot.kind).role !== 'contactless') return false;
    const reader = readerOf(slot.name);
    return this.backends.some((b) =>
      b
        .slots()
        .some(
          (other) =>
            other.name !== slot.name &&
            other.atr !== undefined &&
            readerOf(other.name) === reader &&
            this.roles(other.name, other.kind).role === 'user' &&
            sameCardHistorical(other.atr, slot.atr!),
        ),
    );
  }

  /** Contactless slots of the reader holding `name` whose card is the one just inserted or removed there. */
  private twinSlots(backend: ReaderBackend, name: string, atr: Buffer): BackendSlot[] {
    const reader = readerOf(name);
    return backend
      .slots()
      .filter(
        (s) =>
          s.name !== name &&
          s.atr !== undefined &&
          readerOf(s.name) === reader &&
          this.roles(s.name, s.kind).role === 'contactless' &&
          sameCardHistorical(s.atr, atr),
      );
  }

  private cardStateOf(atr: Buffer): ReaderCardState {
    const hex = toHex(atr);
    let card = this.cardStates.get(hex);
    if (!card) {
      card = { atr: hex };
      const os = this.cardOs(atr);
      if (os !== undefined) card.cardOs = os;
      // Few distinct ATRs pass through one terminal; the bound only guards against a hostile stream.
      if (this.cardStates.size >= 256) this.cardStates.clear();
      this.cardStates.set(hex, card);
    }
    return { ...card };
  }

  private follow(backend: ReaderBackend): void {
    const roleOf = (name: string): ReaderRole => this.roles(name, backend.kind).role;
    /** The ATR each contact slot last announced: the slot forgets it before announcing a removal. */
    const contactAtrs = new Map<string, Buffer>();
    backend.on('reader-added', (name) => {
      const slot = backend.slots().find((s) => s.name === name);
      if (!slot || roleOf(name) === 'ignore') return;
      this.emit('reader-added', this.stateOf(slot));
    });
    backend.on('reader-removed', (name) => {
      void this.unpark(name);
      const role = roleOf(name);
      if (role === 'ignore') return;
      if (!this.locks.get(name)?.busy) this.locks.delete(name);
      this.emit('reader-removed', { name, kind: backend.kind, role });
    });
    backend.on('card-inserted', (name, atr) => {
      void this.unpark(name);
      const role = roleOf(name);
      if (role === 'ignore') return;
      const slot = backend.slots().find((x) => x.name === name);
      if (slot && this.shadowed(slot)) return;
      // The card reached the contacts of a reader whose antenna already showed it: one card, once.
      if (role === 'user') {
        contactAtrs.set(name, atr);
        for (const twin of this.twinSlots(backend, name, atr)) {
          this.emit('card-removed', { reader: twin.name, role: 'contactless' });
        }
      }
      this.emit('card-inserted', { reader: name, role, ...this.cardStateOf(atr) });
    });
    backend.on('card-removed', (name) => {
      void this.unpark(name);
      const role = roleOf(name);
      if (role === 'ignore') return;
      this.emit('card-removed', { reader: name, role });
      // Pulled from the contacts but still in the field: offered again through the antenna.
      const atr = contactAtrs.get(name);
      contactAtrs.delete(name);
      if (role === 'user' && atr) {
        for (const twin of this.twinSlots(backend, name, atr)) {
          if (!this.shadowed(twin)) {
            this.emit('card-inserted', {
              reader: twin.name,
              role: 'contactless',
              ...this.cardStateOf(twin.atr!),
            });
          }
        }
      }
    });
    backend.on('error', (error) => {
      // An unobserved `error` event would throw and take the daemon down for what is a hint.
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }
}

/** The physical reader of a PC/SC slot name: pcsc-lite names slots `<reader> XX YY` (index, slot). */
function readerOf(name: string): string {
  return name.replace(/ [0-9A-F]{2}$/, '');
}
