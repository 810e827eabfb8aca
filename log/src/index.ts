export {
  createLogger,
  type Fields,
  isSecretFieldName,
  type Level,
  LEVELS,
  type Logger,
  type LoggerOptions,
  maskIdNumbersIn,
  redact,
  silentLogger,
} from './log.js';
