/** Plain-text report formatting: aligned tables and fixed decimals, so two runs diff cleanly. */

export function ms(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : 'n/a';
}

export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function x(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}

/** A table with a header row; columns after the first are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
    .map((l) => `  ${l}`)
    .join('\n');
}

/** `target ≤ 1.10: met` / `not met`, the way every benchmark states its goals. */
export function verdict(measured: number, op: '<=' | '>=' | '<', target: number, digits = 2): string {
  const met = op === '<=' ? measured <= target : op === '>=' ? measured >= target : measured < target;
  const symbol = op === '<=' ? '≤' : op === '>=' ? '≥' : '<';
  return `target ${symbol} ${target.toFixed(digits)}: ${Number.isFinite(measured) ? (met ? 'met' : 'NOT met') : 'n/a'}`;
}

export function heading(title: string): void {
  process.stdout.write(`\n== ${title} ==\n`);
}

export function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Progress on stderr, so that stdout holds only the report. */
export function progress(text: string): void {
  process.stderr.write(`  … ${text}\n`);
}
