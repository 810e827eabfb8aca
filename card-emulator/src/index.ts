export * from './bridge/vpcd-client.js';
export * from './cards/index.js';
export * from './control/emulator.js';
export { createControlServer } from './control/server.js';
export * from './faults.js';
export type { SlotCard } from './slot-card.js';
export type { VirtualCard } from './virtual-card.js';
