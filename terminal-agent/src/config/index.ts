export { ENV_OVERRIDES, applyEnvOverrides } from './env.js';
export { ConfigError, ConfigFileError, type ConfigIssue } from './errors.js';
export { type LoadOptions, loadAgentConfig, loadClientConfig } from './load.js';
export {
  type AgentConfig,
  type AgentConfigInput,
  AgentConfigSchema,
  type ClientConfig,
  ClientConfigSchema,
  LOG_LEVELS,
  type LogLevel,
  PIN_ENTRY_MODES,
  type PinEntryMode,
  TERMINAL_TYPES,
  type TerminalType,
} from './schema.js';
export { loadCaKeys } from './ca-keys.js';
