import type { Named } from '../flows/flow.js';
import type { ReaderState } from '../protocol.js';
import type { CardSlot } from './card-watch.js';

/** What every counter's state holds beside its own functions: the agent, its readers, the card, the screen. */
export interface CounterState<Step extends Named> {
  connection: 'connecting' | 'online' | 'offline';
  readers: ReaderState[];
  card: CardSlot;
  step: Step;
  /** Counts the steps shown, so a new step replaces the old screen whole. */
  shown: number;
}

/** A counter before the agent has answered: no readers known, no card. */
export const COUNTER_START: Omit<CounterState<Named>, 'step'> = {
  connection: 'connecting',
  readers: [],
  card: { state: 'empty' },
  shown: 0,
};
