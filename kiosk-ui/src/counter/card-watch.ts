import type { AgentSocket } from '../connection.js';
import type { CardReadView, ReaderState } from '../protocol.js';
import type { Refusal } from '../agent-rest.js';
import { userReaders } from '../kiosk/readers.js';

/** A card read on a real reader takes well under a second; this only catches a lost answer. */
const READ_ANSWER_MS = 30_000;

/** The card in the counter's reader, as the counter screens know it. */
export type CardSlot =
  | { state: 'empty' }
  | { state: 'reading'; reader: string }
  | { state: 'read'; reader: string; card: CardReadView }
  | { state: 'failed'; reader: string; problem: Refusal };

export interface CardWatchEvents {
  connection(state: 'online' | 'offline'): void;
  readers(readers: ReaderState[]): void;
  card(slot: CardSlot): void;
}

/**
 * The counter's view of its reader: the agent's reader list is the truth, insert and remove events
 * only make it look sooner. A card that comes in is read once (the agent verifies it and asks
 * card-service about it); a card that goes out is forgotten at once, with whatever was read.
 */
export class CardWatch {
  readonly #socket: AgentSocket;
  readonly #on: CardWatchEvents;
  #slot: CardSlot = { state: 'empty' };
  /** Tells a read's answer from the answer of an earlier card in the same reader. */
  #reads = 0;

  constructor(socket: AgentSocket, on: CardWatchEvents) {
    this.#socket = socket;
    this.#on = on;
    socket.on('connect', () => on.connection('online'));
    socket.on('disconnect', () => this.#offline());
    socket.on('connect_error', () => this.#offline());
    socket.on('readers', (readers) => this.#reconcile(readers));
    socket.on('card-inserted', (event) => {
      if ((event.role === 'user' || event.role === 'contactless') && this.#slot.state === 'empty') {
        this.read(event.reader);
      }
    });
    socket.on('card-removed', (event) => {
      if (this.#slot.state !== 'empty' && this.#slot.reader === event.reader) this.#set({ state: 'empty' });
    });
  }

  get slot(): CardSlot {
    return this.#slot;
  }

  /** Reads the card in `reader` (again, after a failed read). */
  read(reader: string): void {
    const read = ++this.#reads;
    this.#set({ state: 'reading', reader });
    this.#socket.timeout(READ_ANSWER_MS).emit('read-card', { reader }, (error, reply) => {
      if (read !== this.#reads) return;
      if (error)
        this.#set({ state: 'failed', reader, problem: { code: 'NO_ANSWER', message: '', details: {} } });
      else if (reply.ok) this.#set({ state: 'read', reader, card: reply.result });
      else if (reply.problem.code === 'NoCard' || reply.problem.code === 'CardRemoved')
        this.#set({ state: 'empty' });
      else this.#set({ state: 'failed', reader, problem: reply.problem });
    });
  }

  #offline(): void {
    this.#set({ state: 'empty' });
    this.#on.connection('offline');
  }

  #reconcile(readers: ReaderState[]): void {
    this.#on.readers(readers);
    const slot = this.#slot;
    if (slot.state !== 'empty' && !readers.some((r) => r.name === slot.reader && r.card)) {
      this.#set({ state: 'empty' });
      return;
    }
    if (slot.state === 'empty') {
      const withCard = userReaders(readers).find((r) => r.card);
      if (withCard) this.read(withCard.name);
    }
  }

  #set(slot: CardSlot): void {
    if (slot.state === 'empty') this.#reads++;
    this.#slot = slot;
    this.#on.card(slot);
  }
}
