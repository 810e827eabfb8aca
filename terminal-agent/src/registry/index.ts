export { renewIfDue, renewalDue } from './certificate-renewal.js';
export { CardLifecycleRequests, type TemporaryLossResult, temporaryLossResult } from './card-lifecycle.js';
export { RegistryClient, type RegistryClientOptions } from './client.js';
export {
  type CaSource,
  type EnrolmentRecord,
  type TerminalCredentials,
  type TerminalIdentity,
  credentialPaths,
  inspectCredentials,
  loadCredentials,
} from './credentials.js';
export {
  type EnrolledTerminal,
  type RegistrySettings,
  enrol,
  generateKeyAndCsr,
  loadOrEnrol,
} from './enrolment.js';
export { REGISTRY_ERROR_CODES, RegistryError, type RegistryErrorCode, isRegistryError } from './errors.js';
export {
  type JournalAnswer,
  type JournalEntry,
  type JournalRequest,
  OutboxJournal,
  idempotencyKey,
} from './journal.js';
export { type Deliver, Outbox, type ResendReport, isDecision, resultOf } from './outbox.js';
export {
  type CardReadForCheck,
  type RegistryCheckResult,
  type RegistryCheckStatus,
  checkCardWithRegistry,
} from './registry-check.js';
export {
  type CardPresentProof,
  RemoteCardAuthVerifier,
  proveCardPresence,
  remoteExternalAuthenticator,
} from './remote-card-auth.js';
export {
  type TerminalRegistry,
  type TerminalRegistryOptions,
  openTerminalRegistry,
} from './terminal-registry.js';
