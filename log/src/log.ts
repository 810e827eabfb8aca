import { maskIdNumber } from '@sscard/card-core';
import { pino } from 'pino';

/**
 * Structured JSON-line logging for every process of sscard (emulator, agent, service), on pino.
 * Every record passes through `redact` before it is written, so a careless
 * `log.info('read', { result })` cannot put a PIN, a key or a full ID number on disk.
 *
 * pino's own `redact` option is not enough for that: it removes values at paths named in advance
 * (`pin`, `card.key`), while a secret may sit at any depth under a name that is only known to be
 * secret by its words (`oldPin`, `session_key`), and an ID number may sit inside free text (a
 * message, an `iReadCardBas` string). So the records go through pino's `formatters` instead;
 * pino does the levels, the child loggers' bindings and the writing.
 */

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` to every record (e.g. `{component: 'api'}`). */
  child(fields: Fields): Logger;
  isEnabled(level: Level): boolean;
}

export interface LoggerOptions {
  /** `silent` writes nothing (tests, one-shot commands). */
  level?: Level | 'silent';
  /** Where lines go; defaults to stderr, so that stdout stays free for a command's own output. */
  write?: (line: string) => void;
  fields?: Fields;
  now?: () => Date;
}

/**
 * A field is secret when one of the words of its name is one of these: `pin`, `newPin`, `pin_block`,
 * `apiKey`, `masterKey`, `clientSecret`. Words, not substrings, so `pinpad` and `keypad` stay.
 */
const SECRET_WORDS = new Set([
  'pin',
  'pins',
  'key',
  'keys',
  'secret',
  'password',
  'passwd',
  'token',
  'pinblock',
]);

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

export function isSecretFieldName(name: string): boolean {
  const words = nameWords(name);
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_WORDS.has(words.join(''));
}

/**
 * Resident ID numbers (18 characters, the last a digit or X) standing alone or between separators,
 * as in an iReadCardBas string. Not inside longer alphanumeric runs such as a 32-hex card id code.
 */
const ID_NUMBER = /(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])/g;

export function maskIdNumbersIn(text: string): string {
  return text.replace(ID_NUMBER, (id) => maskIdNumber(id));
}

const MAX_DEPTH = 8;

/** A copy of `value` safe to write: secrets dropped, ID numbers masked, raw bytes reduced to their length. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskIdNumbersIn(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  // Bytes may be a PIN block or a key; their length is all a log needs.
  if (value instanceof Uint8Array) return `[${value.length} bytes]`;
  if (depth >= MAX_DEPTH) return '[nested]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) {
    const err = value as Error & { code?: unknown; details?: unknown };
    return redact({ name: err.name, message: err.message, code: err.code, details: err.details }, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (isSecretFieldName(k) || v === undefined) continue;
    out[k] = redact(v, depth + 1);
  }
  return out;
}

/** The head of every line; a field of the same name cannot overwrite it. */
const HEAD_KEYS = new Set(['time', 'level', 'msg']);

function safeFields(fields: object): Fields {
  const out = redact(fields) as Fields;
  for (const k of HEAD_KEYS) delete out[k];
  return out;
}

function wrap(p: pino.Logger): Logger {
  const at =
    (level: Level) =>
    (msg: string, fields?: Fields): void => {
      if (p.isLevelEnabled(level)) p[level](fields ?? {}, maskIdNumbersIn(msg));
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    // pino formats only the root's bindings: a child's are redacted here.
    child: (fields) => wrap(p.child(safeFields(fields))),
    isEnabled: (level) => p.isLevelEnabled(level),
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const p = pino(
    {
      level: options.level ?? 'info',
      base: options.fields ?? null,
      timestamp: () => `,"time":${JSON.stringify(now().toISOString())}`,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: safeFields,
        log: safeFields,
      },
    },
    { write },
  );
  return wrap(p);
}

/** For library use and tests that do not care about logs. */
export const silentLogger: Logger = createLogger({ level: 'silent', write: () => {} });
