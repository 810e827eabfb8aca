import { chinaDate } from '../clock.js';

/** Calendar months as `YYYY-MM` text: text order is time order, as in the tables. */
export type Month = string;

export function nextMonth(m: Month): Month {
  const [y, mm] = m.split('-').map(Number) as [number, number];
  return mm === 12
    ? `${String(y + 1).padStart(4, '0')}-01`
    : `${String(y).padStart(4, '0')}-${String(mm + 1).padStart(2, '0')}`;
}

/** The months from `first` to `last`, both included; none when `last` is before `first`. */
export function monthsBetween(first: Month, last: Month): Month[] {
  const out: Month[] = [];
  for (let m = first; m <= last; m = nextMonth(m)) out.push(m);
  return out;
}

/** The month of an instant, in China time (UTC+8), like every date of the registry. */
export const chinaMonth = (at: Date): Month => chinaDate(at).slice(0, 7);

/** The month of a `YYYY-MM-DD` date. */
export const monthOf = (isoDate: string): Month => isoDate.slice(0, 7);
