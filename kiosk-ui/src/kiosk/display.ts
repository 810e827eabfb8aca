/**
 * How the kiosk shows itself to the citizen in front of it: the elderly display (very large type,
 * one decision per screen) is the default; a citizen may switch to the standard one, and mute the
 * spoken prompts. Both go back to the default when the card comes out.
 */
export interface Display {
  elderly: boolean;
  muted: boolean;
}

export const DEFAULT_DISPLAY: Display = { elderly: true, muted: false };

/** The prompts spoken at the main steps, as bundled audio files (`audio/<name>-<lang>.ogg`). */
export type PromptName = 'insert-card' | 'enter-pin' | 'take-card';

/**
 * Plays one prompt at a time: a new one cuts the last short. A browser that refuses to play before
 * the first touch (autoplay policy) only loses that prompt; the screen says the same in words.
 */
export class Prompts {
  #playing: HTMLAudioElement | undefined;

  play(name: PromptName, lang: 'zh' | 'en'): void {
    this.stop();
    const audio = new Audio(`audio/${name}-${lang}.ogg`);
    this.#playing = audio;
    document.documentElement.dataset.prompt = name;
    audio.play().catch(() => undefined);
  }

  stop(): void {
    this.#playing?.pause();
    this.#playing = undefined;
  }
}
