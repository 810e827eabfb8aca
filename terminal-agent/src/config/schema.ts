import { TERMINAL_TYPES } from '@sscard/registry-protocol';
import { z } from 'zod';

/**
 * The agent's configuration. Every object is strict so that a misspelt key is reported by name
 * instead of being silently ignored (a misspelt `allowedOrigins` would otherwise open nothing and
 * leave an integrator guessing; a misspelt `ignore` would expose a reader that should be hidden).
 */

// The terminal types are card-service's words: a certificate names one of them.
export { TERMINAL_TYPES, type TerminalType } from '@sscard/registry-protocol';

export const PIN_ENTRY_MODES = ['pinpad', 'keypad', 'none'] as const;
export type PinEntryMode = (typeof PIN_ENTRY_MODES)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An origin as browsers send it: scheme, host and port only, no path and no trailing slash. */
const origin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
    } catch {
      return false;
    }
  },
  { message: 'expected an origin such as "https://his.example.org" (scheme://host[:port], no path)' },
);

const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'expected an http(s) URL' },
);

const terminal = z.strictObject({
  /** Opaque terminal id as enrolled with card-service. */
  id: z.string().min(1),
  type: z.enum(TERMINAL_TYPES),
  /** Six-digit administrative region code of the terminal's location. */
  region: z.string().regex(/^\d{6}$/, 'expected a six-digit region code'),
  /** Terminal number and device number are the 10th and 11th fields of the iReadCardBas output. */
  number: z
    .string()
    .regex(/^[0-9A-Za-z]{0,32}$/, 'expected up to 32 letters or digits')
    .default(''),
  deviceNumber: z
    .string()
    .regex(/^[0-9A-Za-z]{0,32}$/, 'expected up to 32 letters or digits')
    .default(''),
});

const api = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8686),
  /**
   * Browser origins other than the agent's own that may call it (a hospital's HIS pages). The
   * agent's own origin, under which it serves the kiosk UI, is always allowed.
   */
  allowedOrigins: z.array(origin).default([]),
  /** Extra Host header values accepted besides the bind address and localhost (DNS-rebinding guard). */
  allowedHosts: z.array(z.string().min(1)).default([]),
  /** Where the bearer token for non-browser clients lives; defaults to `<dataDir>/api-token`. */
  tokenFile: z.string().min(1).optional(),
  /** A directory of static files (the kiosk UI build) served at `/`. */
  uiDir: z.string().min(1).optional(),
  /**
   * Whether card reads over REST and socket.io carry the full ID number and name. Defaults to
   * false for kiosks (the citizen's own screen shows them masked) and true for counter terminals,
   * whose host software needs them.
   */
  revealPersonalData: z.boolean().optional(),
  /**
   * HIS desktop programs call the ministry WebSocket with no Origin and cannot carry a token. On,
   * any program on this machine that sends no Origin may use the ministry interface (and only it)
   * without a token. Off by default; the agent warns at every start while it is on.
   */
  legacyHisClients: z.boolean().default(false),
});

const readers = z.strictObject({
  /** The reader holding the citizen's card, by exact name or name substring. */
  card: z.string().min(1).optional(),
  /** The PSAM reader, by exact name or name substring; when absent the reader profile's PSAM slot role decides. */
  psam: z.string().min(1).optional(),
  /** Name substrings of readers the agent never touches (a fingerprint reader's CCID slot, a YubiKey). */
  ignore: z.array(z.string().min(1)).default([]),
  /**
   * Name substrings of the PC/SC readers that belong to this terminal; when given, the agent
   * touches no other PC/SC reader. For several terminals on one host sharing its PC/SC service (a
   * service hall's counters on one machine), each with its own reader. Serial readers are
   * configured one by one (`serial`) and are always the terminal's own.
   */
  only: z.array(z.string().min(1)).default([]),
  /**
   * How long a card may take to answer one command before it counts as mute (`CardMute`). Real
   * cards answer in well under a second; a card that says nothing for this long will not answer.
   */
  cardDeadlineMs: z.number().int().min(500).max(120_000).default(5_000),
  /** Readers on serial lines (they cannot be discovered): a name to show, the device, a serial reader profile. */
  serial: z
    .array(z.strictObject({ name: z.string().min(1), path: z.string().min(1), profile: z.string().min(1) }))
    .default([]),
});

const pinpad = z.strictObject({
  /** A PIN pad profile name from @sscard/firmware-profiles; the profile says serial or HID. */
  profile: z.string().min(1),
  /** Serial device path for a serial PIN pad (e.g. /dev/ttyUSB0). */
  path: z.string().min(1).optional(),
  baudRate: z.number().int().positive().optional(),
});

const pin = z.strictObject({
  /** Defaults to `pinpad` when a PIN pad is configured, else `keypad` (or `none` on bank terminals). */
  entry: z.enum(PIN_ENTRY_MODES).optional(),
  pinpad: pinpad.optional(),
  /** Defaults to 120 s on kiosks (a citizen is never timed out in under a minute unasked), else 30 s. */
  timeoutMs: z.number().int().min(1000).max(300_000).optional(),
  minLength: z.number().int().min(4).max(12).default(6),
  maxLength: z.number().int().min(4).max(12).default(6),
});

const cardService = z.strictObject({
  /** card-service's base URL; without it the agent works offline and reads are not checked with the registry. */
  url: httpUrl
    .refine((value) => value.startsWith('https:'), { message: 'expected an https URL (mutual TLS)' })
    .optional(),
  /** The CA certificate (PEM) that issued the service's TLS certificate, installed with the terminal. */
  caCertPath: z.string().min(1).optional(),
  /** The operator's one-time enrolment code; read only while the terminal has no valid certificate. */
  enrolmentCode: z.string().min(1).optional(),
  /** Demo deployments only: trust the CA the enrol answer names and pin it from then on. */
  trustOnFirstUse: z.boolean().default(false),
  /** How often journalled requests the service has not answered are sent again (default 60 s). */
  resendIntervalMs: z.number().int().min(1000).max(86_400_000).optional(),
});

const sections = {
  api: api.prefault({}),
  readers: readers.prefault({}),
  pin: pin.prefault({}),
  emv: z.strictObject({ caKeysPath: z.string().min(1).optional() }).prefault({}),
  journal: z
    .strictObject({
      path: z.string().min(1).optional(),
      /** Days an answered request stays in the journal before it is pruned (pending ones stay). */
      retentionDays: z.number().int().min(1).max(3650).default(90),
      /** 5xx answers in a row after which a request is parked for an operator. */
      parkAfterServerErrors: z.number().int().min(1).max(1000).default(5),
    })
    .prefault({}),
  cardService: cardService.prefault({}),
  dataDir: z.string().min(1).default('./data'),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      /**
       * Every card command and its status word in the log, at debug level (PINs, keys and
       * personal data shown only as their length): for chasing a card or reader that misbehaves.
       */
      apduTrace: z.boolean().default(false),
    })
    .refine((log) => !log.apduTrace || log.level === 'debug', {
      path: ['apduTrace'],
      message: 'the APDU trace is written at debug level: set log.level to "debug" with it',
    })
    .prefault({}),
};

export const AgentConfigSchema = z
  .strictObject({ terminal, ...sections })
  .superRefine((config, ctx) => {
    if (config.pin.minLength > config.pin.maxLength) {
      ctx.addIssue({ code: 'custom', path: ['pin', 'minLength'], message: 'must not exceed pin.maxLength' });
    }
    // A bank terminal takes PINs on an approved PIN pad only: a PIN typed on a touch screen passes
    // through the browser and the display stack, which a bank's PIN security rules do not allow.
    if (config.terminal.type === 'bank' && config.pin.entry === 'keypad') {
      ctx.addIssue({
        code: 'custom',
        path: ['pin', 'entry'],
        message: 'the on-screen keypad is not allowed on bank terminals; configure a PIN pad',
      });
    }
    if (config.pin.entry === 'pinpad' && !config.pin.pinpad) {
      ctx.addIssue({
        code: 'custom',
        path: ['pin', 'pinpad'],
        message: 'required when pin.entry is "pinpad"',
      });
    }
  })
  .transform((config) => {
    const type = config.terminal.type;
    const entry: PinEntryMode =
      config.pin.entry ?? (config.pin.pinpad ? 'pinpad' : type === 'bank' ? 'none' : 'keypad');
    return {
      ...config,
      api: { ...config.api, revealPersonalData: config.api.revealPersonalData ?? type !== 'kiosk' },
      pin: { ...config.pin, entry, timeoutMs: config.pin.timeoutMs ?? (type === 'kiosk' ? 120_000 : 30_000) },
    };
  });

export type AgentConfigInput = z.input<typeof AgentConfigSchema>;
export type AgentConfig = z.output<typeof AgentConfigSchema>;

/**
 * What the `sscard readers` and `sscard read` commands need when they run on a workstation with no
 * agent configured: the same keys and checks, but no terminal identity (the iReadCardBas terminal
 * fields are then empty, as on a reader attached to a plain PC).
 */
export const ClientConfigSchema = z
  .strictObject({ terminal: terminal.optional(), ...sections })
  .transform((config) => ({ ...config, pin: { ...config.pin, timeoutMs: config.pin.timeoutMs ?? 30_000 } }));
export type ClientConfig = z.output<typeof ClientConfigSchema>;
