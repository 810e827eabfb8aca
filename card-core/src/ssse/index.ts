export * from './atr.js';
export * from './card-id.js';
export * from './card-number.js';
export * from './citizen-id.js';
export * from './encoding.js';
export * from './model.js';
export * from './read-card-bas.js';
export * from './region.js';
