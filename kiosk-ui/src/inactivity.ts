/**
 * Asks "Do you need more time?" after a citizen has not touched the screen for a while, and gives
 * up only if nobody answers: no screen ever times out in less than a minute without asking first.
 */
export const ASK_AFTER_MS = 120_000;
export const ANSWER_WITHIN_MS = 60_000;

export class Inactivity {
  readonly #onAsk: () => void;
  readonly #onGiveUp: () => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #asking = false;

  constructor(handlers: { onAsk: () => void; onGiveUp: () => void }) {
    this.#onAsk = handlers.onAsk;
    this.#onGiveUp = handlers.onGiveUp;
    const touched = (): void => {
      // A touch while the question is on screen is not an answer: only the button is.
      if (this.#timer !== undefined && !this.#asking) this.watch();
    };
    for (const type of ['pointerdown', 'keydown'] as const) {
      window.addEventListener(type, touched, { capture: true, passive: true });
    }
  }

  /** Starts (or restarts) watching: the current screen waits for the citizen. */
  watch(): void {
    this.stop();
    this.#timer = setTimeout(() => {
      this.#asking = true;
      this.#onAsk();
      this.#timer = setTimeout(() => {
        this.stop();
        this.#onGiveUp();
      }, ANSWER_WITHIN_MS);
    }, ASK_AFTER_MS);
  }

  /** No watching: nothing personal on screen, or the agent owns the timing (PIN entry). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#asking = false;
  }
}
