/** An instant as the counter shows it: China time (UTC+8), `YYYY-MM-DD HH:MM:SS`. */
export function chinaTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}
