import { parseArgs } from 'node:util';

/** `--name value` flags of one benchmark; unknown flags are an error so a typo is not silently ignored. */
export function flags<const T extends Record<string, { default: string }>>(
  argv: readonly string[],
  spec: T,
): { [K in keyof T]: string } {
  const options = Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec))
    out[k] = (values as Record<string, string | undefined>)[k] ?? v.default;
  return out as { [K in keyof T]: string };
}

export function positiveInt(name: string, text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${name}: a positive integer expected, got "${text}"`);
  return n;
}
