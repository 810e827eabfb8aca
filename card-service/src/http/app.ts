import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import express, { type NextFunction, type Request, type Response } from 'express';
import { buildOpenapi, ROUTES } from '@sscard/registry-protocol';
import type { ZodSafeParseResult } from 'zod';
import { DomainError, forbidden, unauthorized } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { authenticateOperator, hasScope } from '../terminals/operator-tokens.js';
import { terminalIfGood } from '../terminals/terminals.js';
import type { Principal, RouteContext, Services } from './context.js';
import { clientNetwork } from './client-network.js';
import { serveConsole } from './console-files.js';
import { isJsonCheckRequest, serveJsonRoute } from './json-route.js';
import { sendProblem, toProblem } from './problem.js';
import { RateLimiter } from './rate-limit.js';
import type { RequestState, RouteRunner } from './route-runner.js';
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
 * request, so revocation needs no reconnect); otherwise anonymous. `auditRefusals`: record the use
 * of a revoked or expired operator token (where the failure limiter bounds such attempts).
 */
async function identify(svc: Services, req: IncomingMessage, auditRefusals = true): Promise<Principal> {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer (\S+)$/.exec(auth);
    if (!m) throw unauthorized('TOKEN_INVALID', 'Authorization must be "Bearer <operator token>"');
    return {
      kind: 'operator',
      operator: await authenticateOperator(svc.store, svc.clock, m[1]!, { auditRefusals }),
    };
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
    const terminal = terminalIfGood(await svc.reads.certificate(cert.serialNumber), svc.clock());
    if (!terminal) throw unauthorized('CLIENT_CERT_REVOKED', 'the client certificate is revoked or expired');
    return { kind: 'terminal', terminal };
  }
  return { kind: 'anonymous', address: req.socket.remoteAddress ?? 'unknown' };
}

const isLoopback = (address: string): boolean =>
  /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);

function authorise(route: RouteDef, principal: Principal): Actor {
  const { access } = route;
  if (principal.kind === 'operator') {
    if (access.anyOperator) return { kind: 'operator', id: principal.operator.tokenId };
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
  // The host's own monitoring: a peer on a loopback address (mind a reverse proxy on the host,
  // whose requests come from loopback too: give such a route a token there).
  if (access.loopback && isLoopback(principal.address)) {
    return { kind: 'system', id: `loopback:${principal.address}` };
  }
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
      : `a:${clientNetwork(p.address)}`;
}

/** Refusals that say the caller presented credentials that are not good: counted per network. */
const IDENTIFICATION_FAILURES: ReadonlySet<string> = new Set([
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'CLIENT_CERT_UNTRUSTED',
  'CLIENT_CERT_REVOKED',
  'ENROLMENT_CODE_INVALID',
  'ENROLMENT_CODE_USED',
  'ENROLMENT_CODE_EXPIRED',
]);

function rateLimited(res: ServerResponse, wait: number): DomainError {
  res.setHeader('Retry-After', String(wait));
  return new DomainError('RATE_LIMITED', 'too many requests', 429, { retryAfterSeconds: wait });
}

/** Counts and logs the request when its answer has been sent. */
function watch(svc: Services, req: IncomingMessage, res: ServerResponse, state: RequestState): void {
  const started = process.hrtime.bigint();
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const route = state.routeTemplate ?? 'unmatched';
    const method = req.method ?? '';
    svc.metrics.observe(method, route, res.statusCode, seconds);
    const fields: Record<string, unknown> = {
      method,
      route,
      status: res.statusCode,
      ms: Math.round(seconds * 1000 * 10) / 10,
    };
    const p = state.principal;
    if (p?.kind === 'terminal') fields.terminal = p.terminal.terminalId;
    else if (p?.kind === 'operator') fields.operator = p.operator.tokenId;
    svc.log.info('request', fields);
  });
}

export function createApp(svc: Services): {
  app: express.Express;
  routes: RouteDef[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
} {
  const limits = svc.config.rateLimit;
  // The service's clock, so that buckets refill on the same time as everything else it decides.
  const now = (): number => svc.clock().getTime();
  const limiter = new RateLimiter(limits.capacity, limits.refillPerSecond, now);
  const failures = new RateLimiter(limits.failureCapacity, limits.failuresPerMinute / 60, now);
  const routes = buildRoutes(svc, buildOpenapi(ROUTES, { version: API_VERSION }));

  /** Counts the identification failures of the work given against the caller's network. */
  const failuresCounted =
    (req: IncomingMessage) =>
    <T>(work: Promise<T>): Promise<T> =>
      work.catch((e: unknown) => {
        if (e instanceof DomainError && IDENTIFICATION_FAILURES.has(e.code)) {
          failures.take(`f:${clientNetwork(req.socket.remoteAddress ?? 'unknown')}`);
        }
        throw e;
      });

  /** Who is calling a route. */
  const caller = async (route: RouteDef, req: IncomingMessage, res: ServerResponse): Promise<Principal> => {
    // A network that keeps failing to identify itself is refused before any work is done for it.
    const failureWait = failures.peek(`f:${clientNetwork(req.socket.remoteAddress ?? 'unknown')}`);
    if (failureWait > 0) throw rateLimited(res, failureWait);
    // An enrolling terminal may still present its old (revoked) certificate: public routes
    // treat a caller they cannot identify as anonymous instead of refusing it.
    return route.access.public
      ? // Not audited here: nothing bounds the attempts of a caller a public route lets in.
        await identify(svc, req, false).catch(
          (): Principal => ({ kind: 'anonymous', address: req.socket.remoteAddress ?? 'unknown' }),
        )
      : await failuresCounted(req)(identify(svc, req));
  };

  const run: RouteRunner = async (route, req, res, state, input) => {
    state.routeTemplate = route.path;
    // Validation has no side effects, so it runs first, but a failure is answered only at its
    // usual place below: a caller that is not allowed in hears that, not what is wrong with its body.
    const parsedBody = route.body ? route.body.safeParse(input.body ?? {}) : undefined;
    const prepared =
      route.prepare !== undefined &&
      parsedBody?.success === true &&
      (req.socket as TLSSocket).authorized === true
        ? route.prepare(parsedBody.data as never)
        : undefined;
    // Read ahead for a request that may yet be refused: its failure is the handler's to report.
    prepared?.catch(() => undefined);
    const counted = failuresCounted(req);
    // A route that reads a large body has identified its caller before reading it (see below).
    const principal = state.principal ?? (await caller(route, req, res));
    state.principal = principal;
    if (principal.kind === 'terminal') svc.contacts.note(principal.terminal.terminalId);
    const actor = authorise(route, principal);
    const wait = limiter.take(rateKey(principal));
    if (wait > 0) throw rateLimited(res, wait);
    const body = parsedBody ? validated(parsedBody, 'body') : undefined;
    const query = route.query ? validated(route.query.safeParse(input.query), 'query') : undefined;
    const ctx: RouteContext = {
      principal,
      actor,
      body,
      query,
      params: input.params,
      header: input.header,
      prepared,
    };
    // An enrolment code that does not work is an identification that failed, too.
    return counted(route.handle(ctx));
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    watch(svc, req, res, req);
    next();
  });

  // A `%` escape that is malformed or decodes to bytes that are not UTF-8 names no resource: 400
  // here, before the router decodes a path parameter from it and throws a URIError (a 500).
  app.use((req, _res, next) => {
    try {
      decodeURIComponent(req.path);
    } catch {
      throw new DomainError('MALFORMED_PATH', 'the path has a malformed or non-UTF-8 %-escape', 400);
    }
    next();
  });

  // A route with a body limit of its own reads its body itself, once its caller is identified and
  // allowed in: a caller without the right to it cannot make the service hold that much.
  const ownLimit = new Set(routes.filter((r) => r.bodyLimitBytes).map((r) => `${r.method} ${r.path}`));
  const json = express.json({ limit: svc.config.bodyLimitBytes, strict: true });
  app.use((req, res, next) => {
    if (ownLimit.has(`${req.method.toLowerCase()} ${req.path}`)) next();
    else json(req, res, next);
  });
  const admitThenRead = (route: RouteDef): express.RequestHandler[] => {
    if (!route.bodyLimitBytes) return [];
    const admit: express.RequestHandler = (req, res, next) => {
      req.routeTemplate = route.path;
      caller(route, req, res)
        .then((principal) => {
          req.principal = principal;
          authorise(route, principal);
          next();
        })
        .catch(next);
    };
    return [admit, express.json({ limit: route.bodyLimitBytes, strict: true })];
  };

  for (const route of routes) {
    app[route.method](route.path, ...admitThenRead(route), async (req: Request, res: Response) => {
      const result = await run(route, req, res, req, {
        body: req.body,
        query: req.query,
        params: req.params as Record<string, string>,
        header: (name) => req.get(name),
      });
      res.status(result.status ?? 200);
      if (result.contentType) res.type(result.contentType).send(result.body);
      else res.json(result.body);
    });
  }

  if (svc.config.consoleDir) serveConsole(app, svc.config.consoleDir);

  app.use((req: Request, res: Response) => {
    sendProblem(res, 404, {
      code: 'ROUTE_NOT_FOUND',
      message: `no route ${req.method} ${req.path}`,
      details: {},
    });
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    logUnexpected(svc, err, req);
    if (res.headersSent) return;
    const { status, problem } = toProblem(err);
    // A refusal that lifts at a known time (a daily cap) says when, as the rate limiter does.
    const retryAfter = problem.details.retryAfterSeconds;
    if (status === 429 && typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    sendProblem(res, status, problem);
  });

  // The identity check is the hot route: a plain JSON POST to it is served without express (see
  // json-route.ts) with the same steps, the same limits and the same answers. Every other
  // request, and any identity check whose headers ask for more than that (another content type
  // or charset, a compressed or oversize body, a query string), goes through express as before.
  const identityRoute = routes.find((r) => r.method === 'post' && r.path === '/v1/identity/check')!;
  const bodyLimit = svc.config.bodyLimitBytes;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (isJsonCheckRequest(req, identityRoute.path, bodyLimit)) {
      const state: RequestState = {};
      watch(svc, req as Request, res as Response, state);
      serveJsonRoute(identityRoute, req as Request, res as Response, state, bodyLimit, run, (err) =>
        logUnexpected(svc, err, state),
      );
      return;
    }
    app(req, res);
  };

  /** The request listener for the https server: the lean identity route, then express. */
  return { app, routes, handler };
}

function logUnexpected(svc: Services, err: unknown, state: RequestState): void {
  if (!toProblem(err).unexpected) return;
  svc.log.error('unexpected error', {
    route: state.routeTemplate ?? 'unmatched',
    error: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
}

function validated(parsed: ZodSafeParseResult<unknown>, where: 'body' | 'query'): unknown {
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
