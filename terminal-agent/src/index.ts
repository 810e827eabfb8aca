export * from './api/index.js';
export { CardActions, type CardActionsOptions } from './api/card-actions.js';
export * from './config/index.js';
export {
  createCardOperations,
  createReaderManager,
  type RunningAgent,
  runDaemon,
  startAgent,
} from './daemon.js';
export {
  createLogger,
  type Fields,
  isSecretFieldName,
  type Level,
  type Logger,
  maskIdNumbersIn,
  redact,
  silentLogger,
} from '@sscard/log';
export * from './pinpad/index.js';
export {
  type RegistryHealth,
  RegistryLink,
  type RegistryLinkConfig,
  type RegistryLinkOptions,
  type RegistryState,
} from './registry/registry-link.js';
export { CardOperations, type ReadCardResult } from './card-operations.js';
export { ReaderManager, type ReaderManagerEvents, type ReaderState } from './readers/reader-manager.js';
export { isReaderError, ReaderError, type ReaderErrorCode } from './readers/errors.js';
