// card-service's wire contract, shared by the service, the terminal agent and the operator console.
// Types and zod schemas only: nothing here does I/O.
export * as settlement from './settlement/index.js';
