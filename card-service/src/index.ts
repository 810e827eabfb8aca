export { type AuditVerification, verifyAuditChain } from './audit/audit-log.js';
export { type ImportReport, importHolders } from './bulk-import/holder-import.js';
export { type LoadConfigOptions, type ServiceConfig, type ServiceConfigInput, loadConfig } from './config.js';
export { DomainError } from './errors.js';
export { type CardDocument, cardDocumentFor } from './issuance/card-document.js';
export { cardNumberCheckChar, isValidCardNumber } from '@sscard/card-core';
export { type SeedReport, seedDemoHolders, seedFromCardDocuments } from './seed.js';
export {
  CARD_EVENTS,
  type CardEvent,
  TERMINAL_TYPES,
  TRANSITIONS,
  type TerminalType,
} from './lifecycle/transitions.js';
export type { Card, CardStatus, Holder, InsuranceRelation } from './registry/model.js';
export { Registry } from './registry.js';
export { type RunningService, type StartOptions, startService } from './service.js';
export { openStore } from './store/open-store.js';
export type { Store } from './store/store.js';
export {
  type EnrolmentCode,
  createEnrolmentCode,
  enrolTerminal,
  revokeTerminal,
} from './terminals/terminals.js';
