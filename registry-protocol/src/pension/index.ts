// Pensions: entitlements, the monthly run, its payments.
export * from './balance-enquiry.js';
export * from './certification.js';
export * from './citizen-summary.js';
export * from './entitlements.js';
export * from './life-events.js';
export * from './statement.js';
export * from './routes.js';
export * from './withdrawal.js';
export * from './withdrawal-reconciliation.js';
