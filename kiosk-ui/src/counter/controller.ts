import type { AgentSocket } from '../connection.js';
import { Flow, type Named } from '../flows/flow.js';
import { type CardSlot, CardWatch } from './card-watch.js';
import type { CounterState } from './state.js';

/**
 * The part every counter's controller shares: its flow, the card in its reader as the agent
 * reports it, and the move from one screen to the next. What a card coming or going means for the
 * screen shown is each counter's own (`cardChanged`).
 */
export abstract class CounterController<Step extends Named, S extends CounterState<Step>> {
  readonly flow: Flow<S>;
  readonly #cards: CardWatch;

  constructor(socket: AgentSocket, initial: S) {
    this.flow = new Flow<S>(initial);
    this.#cards = new CardWatch(socket, {
      connection: (connection) => this.#setCounter({ connection }),
      readers: (readers) => this.#setCounter({ readers }),
      card: (card) => {
        this.#setCounter({ card });
        this.cardChanged(card, this.state.step.name);
      },
    });
  }

  /** The card in the reader changed while `step` was shown. */
  protected abstract cardChanged(card: CardSlot, step: Step['name']): void;

  protected get state(): S {
    return this.flow.state;
  }

  protected set(changes: Partial<S>): void {
    this.flow.update((s) => ({ ...s, ...changes }));
  }

  #setCounter(changes: Partial<CounterState<Step>>): void {
    this.flow.update((s) => ({ ...s, ...changes }));
  }

  /** Shows `step` as a new screen. */
  protected go(step: Step): void {
    this.#setCounter({ step, shown: this.state.shown + 1 });
  }

  /** Reads the card again (after a failed read, or to refresh what was read). */
  readAgain(): void {
    const card = this.state.card;
    if (card.state === 'failed' || card.state === 'read') this.#cards.read(card.reader);
  }
}
