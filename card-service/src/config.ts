import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pension } from '@sscard/registry-protocol';
import { z } from 'zod';
import { DomainError } from './errors.js';

/**
 * The service's one configuration: a JSON file (optional) overlaid by environment variables,
 * validated once at start. A bad value stops the process with a message naming the key, because a
 * registry that starts half-configured is worse than one that does not start.
 */
const configSchema = z
  .object({
    /** Where the sqlite3 file, the CA, the admin token and the issuer keys live. */
    dataDir: z.string().min(1).default('./data'),
    /** `postgres://…` selects PostgreSQL; anything else is a sqlite3 file path; empty = `<dataDir>/registry.db`. */
    databaseUrl: z.string().default(''),
    /**
     * PostgreSQL: the schema owner's URL, used only to migrate at start; then the service connects
     * with `databaseUrl`, a login in the `sscard_service` role. Empty = migrate with `databaseUrl`.
     */
    migrationDatabaseUrl: z.string().default(''),
    listen: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8443),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8443 }),
    tls: z
      .object({
        /** Names and addresses the service's own certificate is valid for. */
        serverHostnames: z.array(z.string().min(1)).default(['localhost']),
        serverIps: z.array(z.ipv4()).default(['127.0.0.1']),
        terminalCertificateDays: z.number().int().min(1).max(3650).default(365),
        /** After a terminal renews its certificate, how long its earlier one stays good. */
        renewalGraceSeconds: z
          .number()
          .int()
          .min(0)
          .max(30 * 86400)
          .default(86400),
      })
      .strict()
      .default({
        serverHostnames: ['localhost'],
        serverIps: ['127.0.0.1'],
        terminalCertificateDays: 365,
        renewalGraceSeconds: 86400,
      }),
    hsm: z
      .object({
        /** The HSM process's directory (its socket, key file and checkpoint log); empty = `<dataDir>/hsm`. */
        dir: z.string().default(''),
        /** How long one HSM command may take before the HSM counts as unavailable. */
        timeoutMs: z.number().int().min(50).max(60_000).default(2000),
      })
      .strict()
      .default({ dir: '', timeoutMs: 2000 }),
    audit: z
      .object({
        /** A checkpoint of the chain is certified by the HSM after this many entries… */
        checkpointEvery: z.number().int().min(1).max(1_000_000).default(1000),
        /** …and at least this often while entries are appended. */
        checkpointIntervalSeconds: z.number().int().min(1).max(3600).default(60),
      })
      .strict()
      .default({ checkpointEvery: 1000, checkpointIntervalSeconds: 60 }),
    postgres: z
      .object({
        poolSize: z.number().int().min(1).max(500).default(10),
        /** How long a request waits for a pooled connection before it is answered 503. */
        acquireTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
        /** `statement_timeout`: a statement that runs longer is cancelled by the server. */
        statementTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
        /**
         * `idle_in_transaction_session_timeout`: a session that holds a transaction open and idle
         * this long is ended by the server, so a stuck process cannot keep row locks for ever.
         */
        idleInTransactionTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
        /**
         * Start even though the server runs with `fsync` or `synchronous_commit` off. Only for test
         * servers, which run so for speed; in production a commit the service answered must be on disk.
         */
        acceptUnsafeDurability: z.boolean().default(false),
      })
      .strict()
      .default({
        poolSize: 10,
        acquireTimeoutMs: 5000,
        statementTimeoutMs: 30_000,
        idleInTransactionTimeoutMs: 60_000,
        acceptUnsafeDurability: false,
      }),
    lifecycle: z
      .object({
        temporaryLossDays: z.number().int().min(1).max(365).default(7),
        temporaryCardDays: z.number().int().min(1).max(365).default(90),
        cardValidityYears: z.number().int().min(1).max(30).default(10),
      })
      .strict()
      .default({ temporaryLossDays: 7, temporaryCardDays: 90, cardValidityYears: 10 }),
    terminalAuthority: z
      .object({
        /** Lifecycle requests (applied or refused) one terminal may make per China calendar day. */
        eventsPerDay: z.number().int().min(1).max(100_000).default(200),
        /** Requests for card numbers the registry does not know, per terminal and day: probing. */
        unknownCardsPerDay: z.number().int().min(1).max(10_000).default(10),
        /**
         * Beyond its own province, the regions a terminal may act for: a terminal whose region
         * starts with `terminalRegion` may act on cards whose issuing region starts with
         * `cardRegion` (prefixes of 2, 4 or 6 digits: province, city, county).
         */
        regionGrants: z
          .array(
            z
              .object({
                terminalRegion: z.string().regex(/^(\d{2}|\d{4}|\d{6})$/),
                cardRegion: z.string().regex(/^(\d{2}|\d{4}|\d{6})$/),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .default({ eventsPerDay: 200, unknownCardsPerDay: 10, regionGrants: [] }),
    operatorTokens: z
      .object({
        /** How long a new or rotated operator token lives unless the request asks otherwise. */
        lifetimeDays: z.number().int().min(1).max(3650).default(90),
        /** The longest lifetime a request may ask for. */
        maxLifetimeDays: z.number().int().min(1).max(3650).default(365),
        /** After a rotation, how long the replaced secret is still accepted (0: not at all). */
        rotationOverlapSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 86400)
          .default(3600),
      })
      .strict()
      .refine((t) => t.lifetimeDays <= t.maxLifetimeDays, {
        message: 'lifetimeDays may not exceed maxLifetimeDays',
        path: ['lifetimeDays'],
      })
      .default({ lifetimeDays: 90, maxLifetimeDays: 365, rotationOverlapSeconds: 3600 }),
    challengeTtlSeconds: z.number().int().min(5).max(600).default(60),
    /** How long a clerk's authorisation of a PIN reload or unblock stays good for its one use. */
    pinAuthorisationTtlSeconds: z.number().int().min(30).max(1800).default(300),
    enrolmentCodeTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(30 * 86400)
      .default(86400),
    identityCacheSeconds: z.number().int().min(0).max(600).default(30),
    /** How long a settlement quote (2206) stays valid for its settle (2207). */
    quoteTtlSeconds: z.number().int().min(30).max(3600).default(300),
    rateLimit: z
      .object({
        /** Requests a terminal may burst. */
        capacity: z.number().int().min(1).default(30),
        refillPerSecond: z.number().positive().default(10),
        /**
         * Failed identifications (a wrong or expired token, an untrusted or revoked certificate, a
         * bad enrolment code) a peer network may make in a burst, and then per minute. Past them
         * it is refused before any work: no store read, no audit entry.
         */
        failureCapacity: z.number().int().min(1).default(10),
        failuresPerMinute: z.number().positive().default(2),
      })
      .strict()
      .default({ capacity: 30, refillPerSecond: 10, failureCapacity: 10, failuresPerMinute: 2 }),
    /**
     * How long an idle connection stays open for the client's next request. A client that opens a
     * new connection instead pays a full mutual TLS handshake, which costs the service several
     * times what an identity check does.
     */
    keepAliveSeconds: z.number().int().min(1).max(3600).default(75),
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
    pension: z
      .object({
        /**
         * Silent certification: a holder whose cycle has lapsed is certified by behaviour with the
         * card present in this many months before the run — of the kinds named.
         */
        silentWindowMonths: z.number().int().min(1).max(11).default(6),
        silentEvents: z.array(z.enum(pension.PRESENCE_KINDS)).default([...pension.PRESENCE_KINDS]),
        /**
         * The day of the month (China time) from which the service starts the month's run itself,
         * once, for every paying region; absent: runs start only when asked.
         */
        runDayOfMonth: z.number().int().min(1).max(28).optional(),
        /** How often the service looks whether the month's run is due. */
        runCheckSeconds: z.number().int().min(1).max(86_400).default(600),
      })
      .strict()
      .default({ silentWindowMonths: 6, silentEvents: [...pension.PRESENCE_KINDS], runCheckSeconds: 600 }),
    risk: z
      .object({
        /** More settlements than this for one holder in one day raises TOO_MANY_SETTLEMENTS. */
        maxSettlementsPerDay: z.number().int().min(1).max(1000).default(5),
        /** A card seen in two provinces faster than this (km/h, capital to capital) raises TOO_FAR_TOO_FAST. */
        maxKmPerHour: z.number().int().min(50).max(5000).default(800),
        /**
         * A withdrawal from the account of a pensioner whose certification has lapsed, the card
         * unseen for more days than this before it, raises WITHDRAWAL_AFTER_INACTIVITY.
         */
        inactivityDays: z.number().int().min(30).max(3650).default(365),
      })
      .strict()
      .default({ maxSettlementsPerDay: 5, maxKmPerHour: 800, inactivityDays: 365 }),
    statistics: z
      .object({
        /** How often the daily roll-ups are brought up to date; 0: only when an operator asks. */
        rollUpIntervalSeconds: z.number().int().min(0).max(86_400).default(300),
        /** How far back a first roll-up (or one after a long stop) catches up, in days. */
        backfillDays: z.number().int().min(0).max(3660).default(400),
        /** Today's snapshots (holders, cards by status, certification) are taken at most this often. */
        snapshotMinutes: z.number().int().min(1).max(1440).default(60),
      })
      .strict()
      .default({ rollUpIntervalSeconds: 300, backfillDays: 400, snapshotMinutes: 60 }),
    /**
     * The operator console's built files (operator-console/dist/www), served under `/console/`;
     * empty = no console on this instance.
     */
    consoleDir: z.string().default(''),
    logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  })
  .strict();

export type ServiceConfig = z.infer<typeof configSchema>;
export type ServiceConfigInput = z.input<typeof configSchema>;

export interface LoadConfigOptions {
  /** A JSON config file; `SSCARD_SERVICE_CONFIG` when omitted. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest precedence: values set by the caller (tests, the CLI's flags). */
  overrides?: ServiceConfigInput;
}

/** Environment variables and the config key each sets; numbers are parsed, not trusted. */
const ENV_KEYS: ReadonlyArray<[string, string[], 'string' | 'number']> = [
  ['SSCARD_DATA_DIR', ['dataDir'], 'string'],
  ['DATABASE_URL', ['databaseUrl'], 'string'],
  ['SSCARD_MIGRATION_DATABASE_URL', ['migrationDatabaseUrl'], 'string'],
  ['SSCARD_SERVICE_HOST', ['listen', 'host'], 'string'],
  ['SSCARD_SERVICE_PORT', ['listen', 'port'], 'number'],
  ['SSCARD_HSM_DIR', ['hsm', 'dir'], 'string'],
  ['SSCARD_LOG_LEVEL', ['logLevel'], 'string'],
  ['SSCARD_CONSOLE_DIR', ['consoleDir'], 'string'],
];

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export function loadConfig(options: LoadConfigOptions = {}): ServiceConfig {
  const env = options.env ?? process.env;
  const file = options.file ?? env.SSCARD_SERVICE_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new DomainError(
        'CONFIG_INVALID',
        `cannot read config file ${file}: ${(e as Error).message}`,
        500,
      );
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, path, type] of ENV_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) {
        throw new DomainError('CONFIG_INVALID', `config key ${path.join('.')} (${name}): not a number`, 500);
      }
      setPath(fromEnv, path, n);
    } else setPath(fromEnv, path, value);
  }
  const merged = merge(merge(raw, fromEnv), (options.overrides ?? {}) as Record<string, unknown>);
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key =
      issue.code === 'unrecognized_keys'
        ? [...issue.path, issue.keys[0]].join('.')
        : issue.path.join('.') || '(root)';
    throw new DomainError('CONFIG_INVALID', `config key ${key}: ${issue.message}`, 500, { key });
  }
  return parsed.data;
}

export const dataPath = (config: ServiceConfig, ...parts: string[]): string =>
  isAbsolute(config.dataDir) ? join(config.dataDir, ...parts) : resolve(config.dataDir, ...parts);

export const hsmDir = (config: ServiceConfig): string =>
  config.hsm.dir ? resolve(config.hsm.dir) : dataPath(config, 'hsm');

export const isPostgresUrl = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);
