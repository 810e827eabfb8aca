import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import { DomainError, forbidden, unauthorized } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { authenticateOperator, hasScope } from '../terminals/operator-tokens.js';
import { terminalForCertificate } from '../terminals/terminals.js';
import type { Principal, RouteContext, Services } from './context.js';
import { buildOpenapi } from './openapi.js';
import { sendProblem, toProblem } from './problem.js';
import { RateLimiter } from './rate-limit.js';
import { type RouteDef, buildRoutes } from './routes.js';

export const API_VERSION = '1.0.0';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    routeTemplate?: string;
  }
}

/**
 * Who is calling. A bearer token makes an operator; otherwise a client certificate our CA
 * verified makes a terminal, if the store still knows its certificate as good (checked on every
 * request, so revocation needs no reconnect); otherwise anonymous.
 */
async function identify(svc: Services, req: Request): Promise<Principal> {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer (\S+)$/.exec(auth);
    if (!m) throw unauthorized('TOKEN_INVALID', 'Authorization must be "Bearer <operator token>"');
    return { kind: 'operator', operator: await authenticateOperator(svc.store, m[1]!) };
  }
  const socket = req.socket as TLSSocket;
  // The X509Certificate view, not getPeerCertificate(): that one builds an object with three
  // fingerprints and the raw DER on every call, and only the serial is needed here.
  const cert =
    typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate() : undefined;
  if (cert !== undefined) {
    if (!socket.authorized) {
      throw unauthorized('CLIENT_CERT_UNTRUSTED', 'the client certificate is not issued by this service');
    }
    const terminal = await terminalForCertificate(svc.store, cert.serialNumber, svc.clock());
    if (!terminal) throw unauthorized('CLIENT_CERT_REVOKED', 'the client certificate is revoked or expired');
    return { kind: 'terminal', terminal };
  }
  return { kind: 'anonymous', address: req.socket.remoteAddress ?? 'unknown' };
}

function authorise(route: RouteDef, principal: Principal): Actor {
  const { access } = route;
  if (principal.kind === 'operator') {
    if (!access.scope) throw forbidden('OPERATOR_NOT_ALLOWED', 'this route is for terminals');
    if (!hasScope(principal.operator, access.scope)) {
      throw forbidden('SCOPE_MISSING', `the operator token lacks the scope ${access.scope}`, {
        scope: access.scope,
      });
    }
    return { kind: 'operator', id: principal.operator.tokenId };
  }
  if (principal.kind === 'terminal') {
    const t = principal.terminal;
    if (access.public) return { kind: 'terminal', id: t.terminalId, type: t.type, region: t.region };
    if (!access.terminals?.includes(t.type)) {
      throw forbidden('TERMINAL_TYPE_FORBIDDEN', `a ${t.type} terminal may not call this route`, {
        type: t.type,
      });
    }
    return { kind: 'terminal', id: t.terminalId, type: t.type, region: t.region };
  }
  if (access.public) return { kind: 'system', id: `anonymous:${principal.address}` };
  throw unauthorized(
    access.terminals ? 'CLIENT_CERT_REQUIRED' : 'TOKEN_REQUIRED',
    access.terminals
      ? 'this route needs a terminal client certificate'
      : 'this route needs an operator token',
  );
}

function rateKey(p: Principal): string {
  return p.kind === 'terminal'
    ? `t:${p.terminal.terminalId}`
    : p.kind === 'operator'
      ? `o:${p.operator.tokenId}`
      : `a:${p.address}`;
}

export function createApp(svc: Services): { app: express.Express; routes: RouteDef[] } {
  const limiter = new RateLimiter(svc.config.rateLimit.capacity, svc.config.rateLimit.refillPerSecond);
  let openapi: Record<string, unknown> | undefined;
  const routes = buildRoutes(svc, () => openapi);
  openapi = buildOpenapi(routes, API_VERSION);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.routeTemplate ?? 'unmatched';
      svc.metrics.observe(req.method, route, res.statusCode, seconds);
      const p = req.principal;
      svc.log.info('request', {
        method: req.method,
        route,
        status: res.statusCode,
        ms: Math.round(seconds * 1000 * 10) / 10,
        ...(p?.kind === 'terminal' ? { terminal: p.terminal.terminalId } : {}),
        ...(p?.kind === 'operator' ? { operator: p.operator.tokenId } : {}),
      });
    });
    next();
  });

  app.use(express.json({ limit: svc.config.bodyLimitBytes, strict: true }));

  for (const route of routes) {
    app[route.method](route.path, async (req: Request, res: Response) => {
      req.routeTemplate = route.path;
      // An enrolling terminal may still present its old (revoked) certificate: public routes
      // treat a caller they cannot identify as anonymous instead of refusing it.
      const principal = route.access.public
        ? await identify(svc, req).catch(
            (): Principal => ({ kind: 'anonymous', address: req.socket.remoteAddress ?? 'unknown' }),
          )
        : await identify(svc, req);
      req.principal = principal;
      const actor = authorise(route, principal);
      const wait = limiter.take(rateKey(principal));
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        throw new DomainError('RATE_LIMITED', 'too many requests', 429, { retryAfterSeconds: wait });
      }
      const body = route.body ? parseWith(route.body, req.body ?? {}, 'body') : undefined;
      const query = route.query ? parseWith(route.query, req.query, 'query') : undefined;
      const ctx: RouteContext = {
        principal,
        actor,
        body,
        query,
        params: req.params as Record<string, string>,
        header: (name) => req.get(name),
      };
      const result = await route.handle(ctx);
      res.status(result.status ?? 200);
      if (result.contentType) res.type(result.contentType).send(result.body);
      else res.json(result.body);
    });
  }

  app.use((req: Request, res: Response) => {
    sendProblem(res, 404, {
      code: 'ROUTE_NOT_FOUND',
      message: `no route ${req.method} ${req.path}`,
      details: {},
    });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, problem, unexpected } = toProblem(err);
    if (unexpected) {
      svc.log.error('unexpected error', {
        route: req.routeTemplate ?? 'unmatched',
        error: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
    }
    if (res.headersSent) return;
    sendProblem(res, status, problem);
  });

  return { app, routes };
}

function parseWith(schema: import('zod').ZodType, value: unknown, where: 'body' | 'query'): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0]!;
  throw new DomainError(
    'VALIDATION_FAILED',
    `${where}${first.path ? `.${first.path}` : ''}: ${first.message}`,
    400,
    { issues },
  );
}
