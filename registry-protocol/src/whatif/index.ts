// Analyses of the operator console: the policy what-if replay, the retirement-age projection,
// fund forecasts and warnings, and the background runs that keep their results.
export * from './data-quality.js';
export * from './forecast.js';
export * from './fund-warnings.js';
export * from './jobs.js';
export * from './policy-whatif.js';
export * from './pension-projection.js';
export * from './routes.js';
