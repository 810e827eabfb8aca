import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../log.js';
import type { AccessPolicy } from './access-policy.js';
import type { AgentMetrics } from './metrics.js';

/** Paths open to any client that passes the Host and Origin checks: health and the kiosk UI's files. */
function needsClient(path: string): boolean {
  return path.startsWith('/v1/') || path === '/v1' || path.startsWith('/ministry') || path === '/metrics';
}

/**
 * Host, Origin and token checks for every HTTP request, and CORS headers for the configured
 * cross-origin pages only. Browsers' preflight requests are answered here, after the same checks.
 */
export function accessMiddleware(policy: AccessPolicy, log: Logger, metrics: AgentMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const decision = policy.check(req.headers, {
      requireClient: needsClient(req.path) && req.method !== 'OPTIONS',
    });
    if (!decision.allowed) {
      metrics.accessDenied.inc({ transport: 'http', reason: decision.code });
      log.warn('request refused', {
        reason: decision.code,
        method: req.method,
        path: req.path,
        origin: req.headers.origin,
        host: req.headers.host,
      });
      if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="sscard-agent"');
      res.status(decision.status).json({ code: decision.code, message: decision.message, details: {} });
      return;
    }
    res.locals.client = decision.client;
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
