// Medical settlement (2201 register, 2204 bill lines, 2206 pre-settle, 2207 settle, 2208 cancel,
// 2601 reversal, 3201/3202 reconciliation): policy, catalogue, the breakdown, requests, refusals.
export * from './policy.js';
export * from './breakdown.js';
export * from './requests.js';
export * from './routes.js';
