/**
 * Asks "Do you need more time?" after a citizen has not touched the screen for a while, and gives
 * up only if nobody answers: no screen ever times out in less than a minute without asking first.
 */
export const ASK_AFTER_MS = 120_000;
export const ANSWER_WITHIN_MS = 60_000;

export interface InactivityDelays {
  /** Without a touch for this long, the kiosk asks whether the citizen needs more time. */
  askAfterMs: number;
  /** Without an answer for this long after asking, the visit ends. */
  answerWithinMs: number;
}

export const DEFAULT_DELAYS: InactivityDelays = {
  askAfterMs: ASK_AFTER_MS,
  answerWithinMs: ANSWER_WITHIN_MS,
};

/**
 * Delays from the kiosk page's address (`?ask-after=<s>&answer-within=<s>`), for halls that want
 * other timings; anything missing or not a number from 1 to 3600 seconds keeps its default.
 */
export function delaysFromQuery(search: string): InactivityDelays {
  const params = new URLSearchParams(search);
  const seconds = (name: string, fallbackMs: number): number => {
    const raw = params.get(name);
    if (raw === null || !/^[0-9]{1,4}$/.test(raw)) return fallbackMs;
    const value = Number(raw);
    return value >= 1 && value <= 3600 ? value * 1000 : fallbackMs;
  };
  return {
    askAfterMs: seconds('ask-after', ASK_AFTER_MS),
    answerWithinMs: seconds('answer-within', ANSWER_WITHIN_MS),
  };
}

export class Inactivity {
  readonly #onAsk: () => void;
  readonly #onGiveUp: () => void;
  readonly #delays: InactivityDelays;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #asking = false;

  constructor(
    handlers: { onAsk: () => void; onGiveUp: () => void },
    delays: InactivityDelays = DEFAULT_DELAYS,
  ) {
    this.#onAsk = handlers.onAsk;
    this.#onGiveUp = handlers.onGiveUp;
    this.#delays = delays;
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
      }, this.#delays.answerWithinMs);
    }, this.#delays.askAfterMs);
  }

  /** No watching: nothing personal on screen, or the agent owns the timing (PIN entry). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#asking = false;
  }
}
