// card-service's wire contract, shared by the service, the terminal agent and the operator console.
// Types and zod schemas only: nothing here does I/O.
export * from './audit.js';
export { contracts } from './contracts.js';
export * from './card-auth.js';
export * from './pin-blocks.js';
export * from './pin-authorisations.js';
export * from './cards.js';
export * as fields from './fields.js';
export * from './holders.js';
export * from './identity.js';
export * from './openapi.js';
export * from './operators.js';
export * from './ops.js';
export * from './problem.js';
export * from './route.js';
export * from './risk.js';
export * from './routes.js';
export * from './statistics.js';
export * from './terminals.js';
export * from './vocabulary.js';
export * as settlement from './settlement/index.js';
export * as pension from './pension/index.js';
export * as whatif from './whatif/index.js';
