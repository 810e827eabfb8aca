import { addDays } from '../clock.js';

/**
 * Statistics count by China calendar day (UTC+8, no daylight saving), as the bureau reads them.
 * Instants are stored as fixed-width UTC ISO text, so a day is a half-open text range of them.
 */
export interface DayRange {
  day: string;
  /** The day's first instant, UTC ISO. */
  start: string;
  /** The next day's first instant, UTC ISO (excluded). */
  end: string;
}

export function dayRange(day: string): DayRange {
  const start = new Date(`${day}T00:00:00.000+08:00`).toISOString();
  const end = new Date(`${addDays(day, 1)}T00:00:00.000+08:00`).toISOString();
  return { day, start, end };
}

/** Every day from `from` to `to`, both included; empty when `to` is before `from`. */
export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
