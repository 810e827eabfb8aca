/** `YYYYMMDD` of the calendar day in China (UTC+8, no daylight saving) at `instant`: card dates are local dates. */
export function chinaDate(instant: Date): string {
  const shifted = new Date(instant.getTime() + 8 * 3600_000);
  const y = shifted.getUTCFullYear().toString().padStart(4, '0');
  const m = (shifted.getUTCMonth() + 1).toString().padStart(2, '0');
  const d = shifted.getUTCDate().toString().padStart(2, '0');
  return `${y}${m}${d}`;
}
