import { ValidationError } from '@sscard/card-core';
import { VpcdSlot } from '../bridge/vpcd-client.js';
import type { CardDocument, IssuerKeyset } from '../cards/index.js';
import { CardMemoryStore, MemoryBackedCard } from '../cards/card-memory.js';
import { ContactlessInterface } from '../cards/contactless.js';
import { createCard, createPsam } from '../cards/index.js';
import { CardWithFaults, type Fault, NO_FAULT } from '../faults.js';
import { type Logger, silentLogger } from '@sscard/log';
import type { KeypadKey } from '@sscard/agent-protocol';
import type { SerialReaderFirmware } from '../serial/index.js';
import type { SlotCard } from '../slot-card.js';

/** Where a virtual card can sit: a vpcd slot behind pcscd, or an emulated serial reader. */
export interface Slot {
  readonly name: string;
  readonly kind: 'pcsc' | 'serial';
  /** A contactless slot (a reader's antenna) holds cards through their contactless interface. */
  readonly contactless?: boolean;
  readonly card: SlotCard | undefined;
  insert(card: SlotCard): void;
  remove(): SlotCard | undefined;
  close(): void | Promise<void>;
  /** Drops the reader link once, as a cable glitch (vpcd: the TCP connection). */
  disconnect?(): void;
  /** A reader with a PIN keypad: the cardholder types on it (digits, `E` Enter, `C` Cancel). */
  pressKeys?(keys: string): void;
}

export interface SlotState {
  name: string;
  kind: 'pcsc' | 'serial';
  card: { id: string; atr: string } | null;
  fault: Fault;
  connected?: boolean;
}

export interface CardState {
  id: string;
  kind: 'ssse' | 'psam';
  generation?: number;
  holder?: string;
  slot: string | null;
}

export class EmulatorError extends ValidationError {}

/** A PIN pad standing beside a reader (a counter's serial pad): the cardholder types on it. */
export interface PinPad {
  readonly name: string;
  readonly connected: boolean;
  /** Whether the pad holds a terminal PIN key, so that it enciphers what is typed (a bank counter's pad). */
  readonly enciphers: boolean;
  /** Keys for the pad's next entry (or the running one). */
  pressKeys(keys: readonly KeypadKey[]): void;
  close(): void | Promise<void>;
}

export interface PinPadState {
  name: string;
  connected: boolean;
  enciphers: boolean;
}

/** The control API's key letters (as for a reader's keypad) as the pad's keys. */
const PAD_KEYS: Record<string, KeypadKey> = { E: 'enter', C: 'cancel' };

export interface EmulatorOptions {
  logger?: Logger;
  /**
   * Directory of the cards' memory files (card-memory.ts): PIN tries, blocked PINs, changed
   * records and transaction counters survive an emulator restart. Without it a card's memory
   * lives as long as the emulator.
   */
  memoryDir?: string;
}

class VpcdSlotAdapter implements Slot {
  readonly kind = 'pcsc' as const;
  constructor(
    readonly name: string,
    readonly vpcd: VpcdSlot,
    readonly contactless = false,
  ) {}
  get card(): SlotCard | undefined {
    return this.vpcd.card;
  }
  insert(card: SlotCard): void {
    this.vpcd.insert(card);
  }
  remove(): SlotCard | undefined {
    return this.vpcd.remove();
  }
  disconnect(): void {
    this.vpcd.glitch();
  }
  close(): void {
    this.vpcd.close();
  }
}

class SerialSlot implements Slot {
  readonly kind = 'serial' as const;
  constructor(
    readonly name: string,
    readonly firmware: SerialReaderFirmware,
    private readonly onClose: () => void,
  ) {}
  get card(): SlotCard | undefined {
    return this.firmware.card;
  }
  insert(card: SlotCard): void {
    this.firmware.insert(card);
  }
  remove(): SlotCard | undefined {
    return this.firmware.remove();
  }
  get pressKeys(): ((keys: string) => void) | undefined {
    return this.firmware.profile.keypad ? (keys) => this.firmware.pressKeys(keys) : undefined;
  }
  async close(): Promise<void> {
    await this.firmware.close();
    this.onClose();
  }
}

/** A slot in an emulated serial reader; `onClose` releases its line (e.g. the socat pty pair). */
export function serialSlot(
  name: string,
  firmware: SerialReaderFirmware,
  onClose: () => void = () => {},
): Slot {
  return new SerialSlot(name, firmware, onClose);
}

export function vpcdSlot(
  name: string,
  port: number,
  logger: Logger = silentLogger,
  options: { contactless?: boolean } = {},
): Slot {
  return new VpcdSlotAdapter(name, new VpcdSlot({ port, name, logger }), options.contactless === true);
}

/**
 * The running emulator: a catalogue of virtual cards made from card documents and one keyset, and
 * the slots they can be inserted into. Each card object lives as long as the emulator, so a PIN
 * change or a blocked PIN survives removing and re-inserting the card, as on a real card; with a
 * `memoryDir` it survives the emulator too.
 */
export class Emulator {
  private readonly cards = new Map<
    string,
    { card: CardWithFaults; contactless: CardWithFaults | undefined; state: Omit<CardState, 'slot'> }
  >();
  private readonly slots = new Map<string, Slot>();
  private readonly pinPads = new Map<string, PinPad>();

  private readonly logger: Logger;

  constructor(
    readonly keyset: IssuerKeyset,
    documents: CardDocument[],
    options: EmulatorOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    const memory = options.memoryDir === undefined ? undefined : new CardMemoryStore(options.memoryDir);
    for (const doc of documents) {
      const chip = createCard(doc, keyset);
      const stored = memory ? new MemoryBackedCard(chip, memory) : chip;
      const card = new CardWithFaults(stored);
      // The same chip through its antenna, for contactless slots (dual-interface cards only).
      const contactless = chip.profile.contactless
        ? new CardWithFaults(new ContactlessInterface(stored, chip.profile))
        : undefined;
      const generation = Number.parseInt(doc.card.specVersion, 10);
      this.cards.set(card.id, {
        card,
        contactless,
        state: { id: card.id, kind: 'ssse', generation, holder: doc.holder.name },
      });
    }
    const psam = new CardWithFaults(createPsam(keyset));
    this.cards.set(psam.id, { card: psam, contactless: undefined, state: { id: psam.id, kind: 'psam' } });
  }

  addSlot(slot: Slot): void {
    this.slots.set(slot.name, slot);
  }

  addPinPad(pad: PinPad): void {
    this.pinPads.set(pad.name, pad);
  }

  listPinPads(): PinPadState[] {
    return [...this.pinPads.values()].map(({ name, connected, enciphers }) => ({
      name,
      connected,
      enciphers,
    }));
  }

  /**
   * Keys typed on a PIN pad: digits, `E` Enter, `C` Cancel. The pad plays them at its next entry,
   * or at once in a running one, so they may be typed before the terminal asks.
   */
  pressPinPadKeys(padName: string, keys: string): PinPadState {
    const pad = this.pinPads.get(padName);
    if (!pad) {
      throw new EmulatorError(
        'UNKNOWN_PINPAD',
        `no PIN pad ${padName}; PIN pads: ${[...this.pinPads.keys()].join(', ') || 'none'}`,
      );
    }
    if (!/^[0-9EC]{1,32}$/.test(keys)) {
      throw new EmulatorError('BAD_KEYS', 'keys are digits, E (Enter) and C (Cancel), 1 to 32 of them');
    }
    // The count only: what the cardholder types is a PIN.
    this.logger.info('pinpad-keys-pressed', { pinPad: pad.name, count: keys.length });
    pad.pressKeys([...keys].map((k) => PAD_KEYS[k] ?? (k as KeypadKey)));
    return this.listPinPads().find((p) => p.name === padName)!;
  }

  cardIds(): string[] {
    return [...this.cards.keys()];
  }

  listCards(): CardState[] {
    return [...this.cards.values()].map(({ card, contactless, state }) => ({
      ...state,
      slot: this.slotOf(card) ?? (contactless && this.slotOf(contactless)) ?? null,
    }));
  }

  listSlots(): SlotState[] {
    return [...this.slots.values()].map((slot) => {
      const card = slot.card;
      const state: SlotState = {
        name: slot.name,
        kind: slot.kind,
        card: card ? { id: card.id, atr: card.atr.toString('hex').toUpperCase() } : null,
        fault: card instanceof CardWithFaults ? card.fault : NO_FAULT,
      };
      if (slot instanceof VpcdSlotAdapter) state.connected = slot.vpcd.connected;
      if (slot instanceof SerialSlot) state.connected = slot.firmware.connected;
      return state;
    });
  }

  /** Puts a card into a slot; a card already elsewhere is taken out there first, a card in the slot is swapped out. */
  insert(slotName: string, cardId: string): SlotState {
    const slot = this.slot(slotName);
    const entry = this.cards.get(cardId);
    if (!entry)
      throw new EmulatorError('UNKNOWN_CARD', `no card ${cardId}; known: ${this.cardIds().join(', ')}`);
    const form = slot.contactless ? entry.contactless : entry.card;
    if (!form) {
      throw new EmulatorError('NO_CONTACTLESS_INTERFACE', `card ${cardId} has no contactless interface`);
    }
    for (const other of [entry.card, entry.contactless]) {
      const current = other && this.slotOf(other);
      if (current && current !== slot.name) this.slot(current).remove();
    }
    if (slot.card === form) return this.state(slot.name);
    if (slot.card) slot.remove();
    slot.insert(form);
    this.logger.info('card-inserted', { slot: slot.name, card: cardId });
    return this.state(slot.name);
  }

  remove(slotName: string): SlotState {
    const slot = this.slot(slotName);
    const card = slot.remove();
    if (card) this.logger.info('card-removed', { slot: slot.name, card: card.id });
    return this.state(slot.name);
  }

  /** Sets the fault of the card in the slot (`none` clears it); `disconnect` drops the reader link at the next APDU. */
  setFault(slotName: string, fault: Fault): SlotState {
    const slot = this.slot(slotName);
    const card = slot.card;
    if (!(card instanceof CardWithFaults))
      throw new EmulatorError('SLOT_EMPTY', `slot ${slotName} holds no card`);
    card.fault = fault;
    this.logger.info('fault-set', { slot: slot.name, fault: fault.kind });
    return this.state(slot.name);
  }

  /** Keys typed on the keypad of the slot's reader: digits, `E` Enter, `C` Cancel. */
  pressKeys(slotName: string, keys: string): SlotState {
    const slot = this.slot(slotName);
    if (!slot.pressKeys) throw new EmulatorError('NO_KEYPAD', `the reader of slot ${slotName} has no keypad`);
    if (!/^[0-9EC]{1,32}$/.test(keys)) {
      throw new EmulatorError('BAD_KEYS', 'keys are digits, E (Enter) and C (Cancel), 1 to 32 of them');
    }
    // The count only: what the cardholder types is a PIN.
    this.logger.info('keys-pressed', { slot: slot.name, count: keys.length });
    slot.pressKeys(keys);
    return this.state(slot.name);
  }

  async close(): Promise<void> {
    for (const slot of this.slots.values()) await slot.close();
    for (const pad of this.pinPads.values()) await pad.close();
  }

  private state(slotName: string): SlotState {
    return this.listSlots().find((s) => s.name === slotName)!;
  }

  private slot(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot)
      throw new EmulatorError('UNKNOWN_SLOT', `no slot ${name}; slots: ${[...this.slots.keys()].join(', ')}`);
    return slot;
  }

  private slotOf(card: SlotCard): string | undefined {
    for (const slot of this.slots.values()) if (slot.card === card) return slot.name;
    return undefined;
  }
}
