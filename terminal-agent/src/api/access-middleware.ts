import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '@sscard/log';
import type { AccessDecision, AccessPolicy } from './access-policy.js';
import type { AgentMetrics } from './metrics.js';
import { type AccessRule, OPEN_ACCESS } from './route-table.js';

function refuse(
  decision: Extract<AccessDecision, { allowed: false }>,
  req: Request,
  res: Response,
  log: Logger,
  metrics: AgentMetrics,
): void {
  metrics.accessDenied.inc({ transport: 'http', reason: decision.code });
  log.warn('request refused', {
    reason: decision.code,
    method: req.method,
    path: req.path,
    origin: req.headers.origin,
    host: req.headers.host,
    peer: req.socket.remoteAddress,
  });
  if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="sscard-agent"');
  res.status(decision.status).json({ code: decision.code, message: decision.message, details: {} });
}

/**
 * The Host and Origin checks for every HTTP request, whatever it matches, and CORS headers for the
 * configured cross-origin pages only. Browsers' preflight requests are answered here, after the
 * same checks. Which client a route needs is decided by `routeAccess`, mounted on each route.
 */
export function hostAndOriginCheck(policy: AccessPolicy, log: Logger, metrics: AgentMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const decision = policy.check(
      { headers: req.headers, remoteAddress: req.socket.remoteAddress },
      OPEN_ACCESS,
    );
    if (!decision.allowed) {
      refuse(decision, req, res, log, metrics);
      return;
    }
    const origin = decision.origin;
    if (origin !== undefined && policy.isAllowedCrossOrigin(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (origin !== undefined && policy.isAllowedCrossOrigin(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
        res.setHeader('Access-Control-Max-Age', '600');
        // Chrome asks before a public page may reach a loopback address (Private Network Access).
        if (req.headers['access-control-request-private-network'] === 'true') {
          res.setHeader('Access-Control-Allow-Private-Network', 'true');
        }
      }
      res.status(204).end();
      return;
    }
    next();
  };
}

/** The client check of one route, as its line in the route table says. */
export function routeAccess(
  rule: AccessRule,
  policy: AccessPolicy,
  log: Logger,
  metrics: AgentMetrics,
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const decision = policy.check({ headers: req.headers, remoteAddress: req.socket.remoteAddress }, rule);
    if (!decision.allowed) {
      refuse(decision, req, res, log, metrics);
      return;
    }
    res.locals.client = decision.client;
    next();
  };
}
