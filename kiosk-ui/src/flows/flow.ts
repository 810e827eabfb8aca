import { useEffect, useState } from 'preact/hooks';

/** A state of a flow: a discriminated union on `name`, one member per screen of the flow. */
export interface Named {
  name: string;
}

/** The member of a flow's state union with this name. */
export type StateNamed<S extends Named, N extends S['name']> = Extract<S, { name: N }>;

/** Narrows a flow's state to one of its members. */
export function isIn<S extends Named, N extends S['name']>(state: S, name: N): state is StateNamed<S, N> {
  return state.name === name;
}

/**
 * The state of one flow (the kiosk visit, a desk's settlement), held outside the components: the
 * flow's controller moves it from one state to the next on the agent's events and the citizen's
 * actions, and the components only render it. Every move is a whole new state object, so a
 * component never sees half of a change.
 */
export class Flow<S> {
  #state: S;
  readonly #listeners = new Set<() => void>();

  constructor(initial: S) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  /** Moves to the next state, given outright or computed from the current one. */
  update(next: S | ((current: S) => S)): void {
    const value = typeof next === 'function' ? (next as (current: S) => S)(this.#state) : next;
    if (Object.is(value, this.#state)) return;
    this.#state = value;
    for (const listener of this.#listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The flow's current state; the component renders again on every move. */
export function useFlow<S>(flow: Flow<S>): S {
  const [, setMoves] = useState(0);
  const rendered = flow.state;
  useEffect(() => {
    const rerender = (): void => setMoves((n) => n + 1);
    const unsubscribe = flow.subscribe(rerender);
    // A move between this render and the subscription would otherwise go unseen.
    if (flow.state !== rendered) rerender();
    return unsubscribe;
  }, [flow]);
  return flow.state;
}
