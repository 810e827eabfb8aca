// The terminal agent's wire contract, shared by the agent and every client of it (kiosk-ui, HIS
// integrations). Types and named values only: nothing here does I/O.
export * from './card.js';
export type * from './citizen.js';
export * from './ministry.js';
export * from './pin.js';
export * from './problem.js';
export * from './readers.js';
export * from './rest.js';
// Types only: the schemas live at `@sscard/agent-protocol/settlement`, out of browser bundles.
export type * from './settlement.js';
export * from './socket.js';
