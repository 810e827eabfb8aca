import { auditRoutes } from './audit.js';
import { cardAuthRoutes } from './card-auth.js';
import { cardRoutes } from './cards.js';
import { holderRoutes } from './holders.js';
import { identityRoutes } from './identity.js';
import { operatorRoutes } from './operators.js';
import { pensionRoutes } from './pension/routes.js';
import { riskRoutes } from './risk.js';
import { opsRoutes } from './ops.js';
import { pinAuthorisationRoutes } from './pin-authorisations.js';
import { pinBlockRoutes } from './pin-blocks.js';
import type { RouteContract } from './route.js';
import { settlementRoutes } from './settlement/routes.js';
import { statisticsRoutes } from './statistics.js';
import { terminalRoutes } from './terminals.js';
import { whatIfRoutes } from './whatif/routes.js';

/**
 * Every operation of card-service. A new area of the API is one module of schemas and `route`
 * entries, spread in here: the service must then give each new operation a handler (its build
 * fails until it does), and the OpenAPI document lists it.
 */
export const ROUTES = [
  ...opsRoutes,
  ...terminalRoutes,
  ...identityRoutes,
  ...cardAuthRoutes,
  ...pinBlockRoutes,
  ...pinAuthorisationRoutes,
  ...cardRoutes,
  ...operatorRoutes,
  ...holderRoutes,
  ...auditRoutes,
  ...settlementRoutes,
  ...pensionRoutes,
  ...riskRoutes,
  ...whatIfRoutes,
  ...statisticsRoutes,
] as const satisfies readonly RouteContract[];

export type Route = (typeof ROUTES)[number];
export type OperationId = Route['operationId'];
export type RouteOf<Id extends OperationId> = Extract<Route, { operationId: Id }>;
