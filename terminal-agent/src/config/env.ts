import { ConfigError } from './errors.js';

type EnvKind = 'string' | 'integer' | 'boolean' | 'list';

/**
 * Environment overrides, one variable per key. The table is explicit (not derived from key names)
 * so that the README can list every variable and a typo in a variable name cannot reach a key
 * nobody meant to expose.
 */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; key: string; kind: EnvKind }> = [
  { env: 'SSCARD_TERMINAL_ID', key: 'terminal.id', kind: 'string' },
  { env: 'SSCARD_TERMINAL_TYPE', key: 'terminal.type', kind: 'string' },
  { env: 'SSCARD_TERMINAL_REGION', key: 'terminal.region', kind: 'string' },
  { env: 'SSCARD_TERMINAL_NUMBER', key: 'terminal.number', kind: 'string' },
  { env: 'SSCARD_TERMINAL_DEVICE_NUMBER', key: 'terminal.deviceNumber', kind: 'string' },
  { env: 'SSCARD_API_HOST', key: 'api.host', kind: 'string' },
  { env: 'SSCARD_API_PORT', key: 'api.port', kind: 'integer' },
  { env: 'SSCARD_API_ALLOWED_ORIGINS', key: 'api.allowedOrigins', kind: 'list' },
  { env: 'SSCARD_API_ALLOWED_HOSTS', key: 'api.allowedHosts', kind: 'list' },
  { env: 'SSCARD_API_TOKEN_FILE', key: 'api.tokenFile', kind: 'string' },
  { env: 'SSCARD_API_UI_DIR', key: 'api.uiDir', kind: 'string' },
  { env: 'SSCARD_API_REVEAL_PERSONAL_DATA', key: 'api.revealPersonalData', kind: 'boolean' },
  { env: 'SSCARD_API_LEGACY_HIS_CLIENTS', key: 'api.legacyHisClients', kind: 'boolean' },
  { env: 'SSCARD_READERS_CARD', key: 'readers.card', kind: 'string' },
  { env: 'SSCARD_READERS_PSAM', key: 'readers.psam', kind: 'string' },
  { env: 'SSCARD_READERS_IGNORE', key: 'readers.ignore', kind: 'list' },
  { env: 'SSCARD_READERS_ONLY', key: 'readers.only', kind: 'list' },
  { env: 'SSCARD_READERS_CARD_DEADLINE_MS', key: 'readers.cardDeadlineMs', kind: 'integer' },
  { env: 'SSCARD_PIN_ENTRY', key: 'pin.entry', kind: 'string' },
  { env: 'SSCARD_PIN_PINPAD_PROFILE', key: 'pin.pinpad.profile', kind: 'string' },
  { env: 'SSCARD_PIN_PINPAD_PATH', key: 'pin.pinpad.path', kind: 'string' },
  { env: 'SSCARD_PIN_PINPAD_BAUD_RATE', key: 'pin.pinpad.baudRate', kind: 'integer' },
  { env: 'SSCARD_PIN_TIMEOUT_MS', key: 'pin.timeoutMs', kind: 'integer' },
  { env: 'SSCARD_EMV_CA_KEYS_PATH', key: 'emv.caKeysPath', kind: 'string' },
  { env: 'SSCARD_JOURNAL_PATH', key: 'journal.path', kind: 'string' },
  { env: 'SSCARD_JOURNAL_RETENTION_DAYS', key: 'journal.retentionDays', kind: 'integer' },
  { env: 'SSCARD_JOURNAL_PARK_AFTER_SERVER_ERRORS', key: 'journal.parkAfterServerErrors', kind: 'integer' },
  { env: 'SSCARD_CARD_SERVICE_URL', key: 'cardService.url', kind: 'string' },
  { env: 'SSCARD_CARD_SERVICE_CA_CERT', key: 'cardService.caCertPath', kind: 'string' },
  { env: 'SSCARD_ENROLMENT_CODE', key: 'cardService.enrolmentCode', kind: 'string' },
  { env: 'SSCARD_CARD_SERVICE_TRUST_ON_FIRST_USE', key: 'cardService.trustOnFirstUse', kind: 'boolean' },
  { env: 'SSCARD_CARD_SERVICE_RESEND_INTERVAL_MS', key: 'cardService.resendIntervalMs', kind: 'integer' },
  { env: 'SSCARD_DATA_DIR', key: 'dataDir', kind: 'string' },
  { env: 'SSCARD_LOG_LEVEL', key: 'log.level', kind: 'string' },
  { env: 'SSCARD_LOG_APDU_TRACE', key: 'log.apduTrace', kind: 'boolean' },
];

function convert(env: string, key: string, kind: EnvKind, raw: string): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'integer': {
      if (!/^-?\d+$/.test(raw.trim())) {
        throw new ConfigError([
          { key, problem: `expected an integer, got "${raw}"`, source: `environment variable ${env}` },
        ]);
      }
      return Number(raw.trim());
    }
    case 'boolean': {
      const value = raw.trim().toLowerCase();
      if (['1', 'true', 'yes'].includes(value)) return true;
      if (['0', 'false', 'no'].includes(value)) return false;
      throw new ConfigError([
        { key, problem: `expected true or false, got "${raw}"`, source: `environment variable ${env}` },
      ]);
    }
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Applies `SSCARD_*` variables over the parsed file, returning a new object. Empty variables are ignored. */
export function applyEnvOverrides(
  fileConfig: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): { merged: Record<string, unknown>; sources: Map<string, string> } {
  const merged = structuredClone(fileConfig);
  const sources = new Map<string, string>();
  for (const { env: name, key, kind } of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, key, convert(name, key, kind, raw));
    sources.set(key, `environment variable ${name}`);
  }
  return { merged, sources };
}
