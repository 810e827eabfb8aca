/**
 * A clerk who leaves the counter without signing out is signed out after this long without a key
 * or a touch on the counter's screen: the next person at the screen cannot authorise in their name.
 */
export const CLERK_IDLE_MS = 10 * 60_000;

/** The delay from the page's address (`?clerk-idle=<seconds>`, 1 to 3600), else the default. */
export function clerkIdleFromQuery(search: string): number {
  const raw = new URLSearchParams(search).get('clerk-idle');
  if (raw === null || !/^[0-9]{1,4}$/.test(raw)) return CLERK_IDLE_MS;
  const seconds = Number(raw);
  return seconds >= 1 && seconds <= 3600 ? seconds * 1000 : CLERK_IDLE_MS;
}

/** Calls `onIdle` once after `ms` without a key or a pointer on the page; the answer stops watching. */
export function watchIdle(ms: number, onIdle: () => void): () => void {
  let timer = setTimeout(onIdle, ms);
  const touched = (): void => {
    clearTimeout(timer);
    timer = setTimeout(onIdle, ms);
  };
  for (const type of ['pointerdown', 'keydown'] as const) {
    window.addEventListener(type, touched, { capture: true, passive: true });
  }
  return () => {
    clearTimeout(timer);
    for (const type of ['pointerdown', 'keydown'] as const) {
      window.removeEventListener(type, touched, { capture: true });
    }
  };
}
