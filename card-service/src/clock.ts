/** Where "now" comes from; tests pass a movable clock instead of waiting. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that stands still until moved, for lifecycle and expiry tests. */
export function manualClock(
  start: Date | string,
): Clock & { advance(ms: number): void; set(t: Date | string): void } {
  let t = new Date(start).getTime();
  const clock = (() => new Date(t)) as Clock & { advance(ms: number): void; set(t: Date | string): void };
  clock.advance = (ms) => {
    t += ms;
  };
  clock.set = (to) => {
    t = new Date(to).getTime();
  };
  return clock;
}

export const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an instant in China time (UTC+8): card dates are local calendar dates. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

export function addYears(isoDate: string, years: number): string {
  const [y, m, d] = isoDate.split('-');
  const target = `${String(Number(y) + years).padStart(4, '0')}-${m}-${d}`;
  // 29 February plus N years lands on 28 February when the target year has no leap day.
  return Number.isNaN(Date.parse(`${target}T00:00:00Z`)) ||
    new Date(`${target}T00:00:00Z`).toISOString().slice(0, 10) !== target
    ? `${String(Number(y) + years).padStart(4, '0')}-${m}-28`
    : target;
}

export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
