// Pensions: entitlements, the monthly run, its payments.
export * from './entitlements.js';
export * from './routes.js';
