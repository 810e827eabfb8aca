import {
  type ApiProblemCode,
  type HsmStepAnswer,
  MinistryReturnCode,
  type OutboxAnswer,
  type TerminalView,
} from '@sscard/agent-protocol';
import { AGENT_REQUEST_BODIES as BODIES } from '@sscard/agent-protocol/schemas';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '@sscard/log';
import { redact } from '@sscard/log';
import { hostAndOriginCheck, routeAccess } from './access-middleware.js';
import type { AccessPolicy } from './access-policy.js';
import type { AgentActions, ReaderSource } from './agent-actions.js';
import type { AgentMetrics } from './metrics.js';
import {
  deskBillLinesRequest,
  deskCancelRequest,
  deskDateQuery,
  deskPreSettleRequest,
  deskReversalRequest,
  deskSettleRequest,
  deskVisitRequest,
} from '@sscard/agent-protocol/settlement';
import type { DeskActions } from './desk-actions.js';
import { callMinistry, parseMinistryRequest } from './ministry.js';
import { ApiProblem, toProblem } from './problem.js';
import { parseBody } from './request-body.js';
import { HTTP_ROUTES, type HttpRouteName, type HttpRouteRule } from './route-table.js';

/**
 * A path whose `%` escapes are malformed or decode to bytes that are not UTF-8 names nothing the
 * agent serves: 400, before a route or the static files try to decode it and fail.
 */
function wellFormedPath(req: Request, _res: Response, next: NextFunction): void {
  try {
    decodeURIComponent(req.path);
  } catch {
    throw new ApiProblem(400, 'MALFORMED_PATH', 'the path has a malformed or non-UTF-8 %-escape');
  }
  next();
}

export interface OutboxOperations {
  view(): Promise<OutboxAnswer>;
  /** Undefined when the key names no parked request. */
  unpark(idempotencyKey: string): Promise<OutboxAnswer | undefined>;
}

export interface HttpAppOptions {
  policy: AccessPolicy;
  readers: ReaderSource;
  actions: AgentActions;
  metrics: AgentMetrics;
  log: Logger;
  /** The kiosk UI build, served at `/` when configured. */
  uiDir?: string | undefined;
  /** Readiness beyond "the process answers": e.g. whether the reader service is reachable. */
  health: () =>
    | { status: 'ok' | 'degraded'; [key: string]: unknown }
    | Promise<{ status: 'ok' | 'degraded'; [key: string]: unknown }>;
  /** The terminal as the page needs it: its mode and, for a desk, its institution. */
  terminal: () => Promise<TerminalView>;
  /** The outbox's unanswered and parked requests; absent without a card-service. */
  outbox?: OutboxOperations | undefined;
  /** The desk's medical settlement; absent without a card-service. */
  desk?: DeskActions | undefined;
  /** Enrols the terminal with card-service now (`sscard enrol`); absent without a card-service. */
  enrol?: ((code: string) => Promise<Record<string, unknown>>) | undefined;
}

/**
 * Errors of the body parsers (a body that is not JSON, too large, an unknown charset) and of the
 * router: the request's fault, answered with their 4xx status.
 */
function requestProblem(error: unknown): ReturnType<typeof toProblem> | undefined {
  const { type, status, expose } = error as { type?: unknown; status?: unknown; expose?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  const known: Record<string, { code: ApiProblemCode; message: string }> = {
    'entity.parse.failed': { code: 'BAD_REQUEST', message: 'the body is not valid JSON' },
    'entity.too.large': { code: 'BODY_TOO_LARGE', message: 'the body is too large' },
    'charset.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the body charset is not supported' },
    'encoding.unsupported': { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'the body encoding is not supported' },
  };
  const problem: { code: ApiProblemCode; message: string } = (typeof type === 'string'
    ? known[type]
    : undefined) ?? { code: 'BAD_REQUEST', message: 'the request is malformed' };
  return { status, problem: { ...problem, details: {} }, unexpected: false };
}

/** Express 5 forwards a rejected promise to the error handler, so handlers can simply be async. */
export function createHttpApp(options: HttpAppOptions): express.Express {
  const { policy, readers, actions, metrics, log } = options;
  const app = express();
  // `/V1/card/read` is not `/v1/card/read`: one spelling per route, so the table is the whole truth.
  app.set('case sensitive routing', true);
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(hostAndOriginCheck(policy, log, metrics));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use(wellFormedPath);

  const v1Body = express.json({ limit: '16kb' });
  // An itemised bill of up to 500 lines.
  const billBody = express.json({ limit: '256kb' });
  const desk = (): DeskActions => {
    if (!options.desk) throw new ApiProblem(404, 'NOT_FOUND', 'this agent has no card-service configured');
    // A terminal that is no desk refuses before it reads anything of the request.
    options.desk.guard();
    return options.desk;
  };
  // First on every settlement route: a terminal that is no desk refuses before the body is read.
  const deskOnly: RequestHandler = (_req, _res, next) => {
    desk();
    next();
  };
  const handlers: Record<HttpRouteName, RequestHandler[]> = {
    health: [
      async (_req, res) => {
        res.json(await options.health());
      },
    ],
    metrics: [
      async (_req, res) => {
        res.setHeader('Content-Type', metrics.registry.contentType);
        res.send(await metrics.registry.metrics());
      },
    ],
    terminal: [
      async (_req, res) => {
        res.json(await options.terminal());
      },
    ],
    readers: [
      (_req, res) => {
        res.json({ readers: readers.list() });
      },
    ],
    cardRead: [
      v1Body,
      async (req, res) => {
        const { reader } = parseBody(BODIES.readCard, req.body);
        res.json(await actions.readCard({ reader }));
      },
    ],
    pinVerify: [
      async (_req, res) => {
        res.json(await actions.verifyPin());
      },
    ],
    pinChange: [
      async (_req, res) => {
        res.json(await actions.changePin());
      },
    ],
    // The card number comes from the card in the reader; a body naming one is refused, not ignored.
    reportLost: [
      v1Body,
      async (req, res) => {
        const { reader } = parseBody(BODIES.reportLost, req.body);
        res.json(await actions.reportLost({ reader }));
      },
    ],
    citizenSummary: [
      v1Body,
      async (req, res) => {
        const { reader } = parseBody(BODIES.citizenSummary, req.body);
        res.json(await actions.citizenSummary({ reader }));
      },
    ],
    pensionCertification: [
      v1Body,
      async (req, res) => {
        const { reader } = parseBody(BODIES.pensionCertification, req.body);
        res.json(await actions.certifyPension({ reader }));
      },
    ],
    bureauClerk: [
      v1Body,
      async (req, res) => {
        const { clerkToken } = parseBody(BODIES.bureauClerk, req.body);
        res.json(await actions.signInClerk({ clerkToken }));
      },
    ],
    // The card number comes from the card in the reader, the ID number from the citizen's document.
    pinAuthorisation: [
      v1Body,
      async (req, res) => {
        res.json(await actions.authorisePin(parseBody(BODIES.pinAuthorisation, req.body)));
      },
    ],
    pinManagement: [
      v1Body,
      async (req, res) => {
        res.json(await actions.managePin(parseBody(BODIES.pinManagement, req.body)));
      },
    ],
    // Enrolment replaces the terminal's certificate: for the operator's tools (a `token` route).
    enrol: [
      v1Body,
      async (req, res) => {
        const { code } = parseBody(BODIES.enrol, req.body);
        if (!options.enrol)
          throw new ApiProblem(404, 'NOT_FOUND', 'this agent has no card-service configured');
        res.json(await options.enrol(code));
      },
    ],
    outbox: [
      async (_req, res) => {
        if (!options.outbox)
          throw new ApiProblem(404, 'NOT_FOUND', 'this agent has no card-service configured');
        res.json(await options.outbox.view());
      },
    ],
    outboxUnpark: [
      v1Body,
      async (req, res) => {
        const { idempotencyKey: key } = parseBody(BODIES.outboxUnpark, req.body);
        if (!options.outbox)
          throw new ApiProblem(404, 'NOT_FOUND', 'this agent has no card-service configured');
        const answer = await options.outbox.unpark(key);
        if (!answer) throw new ApiProblem(404, 'NOT_FOUND', `no parked request ${key} in the outbox`);
        res.json(answer);
      },
    ],
    bankPinBlock: [
      v1Body,
      async (req, res) => {
        const request = parseBody(BODIES.bankPinBlock, req.body);
        res.json(await actions.bankPinBlock(request));
      },
    ],
    bankWithdrawal: [
      v1Body,
      async (req, res) => {
        const request = parseBody(BODIES.bankWithdrawal, req.body);
        res.json(await actions.bankWithdrawal(request));
      },
    ],
    bankBalance: [
      v1Body,
      async (req, res) => {
        const request = parseBody(BODIES.bankBalance, req.body);
        res.json(await actions.bankBalance(request));
      },
    ],
    // The bureau HSM's key for a two-step ministry call, through this terminal's link to card-service.
    ministryHsmStep: [
      v1Body,
      async (req, res) => {
        const request = parseBody(BODIES.ministryHsmStep, req.body);
        const answer: HsmStepAnswer = { pKey: await actions.hsmStep(request) };
        res.json(answer);
      },
    ],
    settlementVisits: [
      deskOnly,
      v1Body,
      async (req, res) => {
        const d = desk();
        res.json(await d.registerVisit(parseBody(deskVisitRequest, req.body)));
      },
    ],
    settlementBillLines: [
      deskOnly,
      billBody,
      async (req, res) => {
        const d = desk();
        res.json(await d.addBillLines(String(req.params.visitId), parseBody(deskBillLinesRequest, req.body)));
      },
    ],
    settlementPreSettle: [
      deskOnly,
      v1Body,
      async (req, res) => {
        const d = desk();
        res.json(await d.preSettle(String(req.params.visitId), parseBody(deskPreSettleRequest, req.body)));
      },
    ],
    settlementSettle: [
      deskOnly,
      v1Body,
      async (req, res) => {
        const d = desk();
        res.json(await d.settle(parseBody(deskSettleRequest, req.body)));
      },
    ],
    settlementCancel: [
      deskOnly,
      v1Body,
      async (req, res) => {
        const d = desk();
        res.json(await d.cancel(parseBody(deskCancelRequest, req.body)));
      },
    ],
    settlementReversals: [
      deskOnly,
      v1Body,
      async (req, res) => {
        const d = desk();
        res.json(await d.reverse(parseBody(deskReversalRequest, req.body)));
      },
    ],
    settlementDay: [
      deskOnly,
      async (req, res) => {
        const d = desk();
        res.json(await d.day(parseBody(deskDateQuery, { ...req.query }).date));
      },
    ],
    settlementPending: [
      deskOnly,
      async (_req, res) => {
        res.json(await desk().pending());
      },
    ],
    settlementReconciliation: [
      deskOnly,
      async (req, res) => {
        const d = desk();
        res.json(await d.reconciliation(parseBody(deskDateQuery, { ...req.query }).date));
      },
    ],
    // The ministry interface over HTTP: GET with a query string or POST with a JSON or form body,
    // answered 200 with the interface's own return code, as vendor services do.
    ministry: [
      express.json({ limit: '4kb' }),
      express.urlencoded({ extended: false, limit: '4kb' }),
      async (req, res) => {
        const params = {
          ...(req.query as Record<string, unknown>),
          ...((req.body as Record<string, unknown>) ?? {}),
        };
        const parsed = parseMinistryRequest({ ...params, function: req.params.fn });
        const response = await callMinistry(actions.ministry, parsed, (e, fn) => actions.ministryCode(e, fn));
        if (parsed.ok && parsed.fn === 'iReadCardBas') {
          metrics.cardReads.inc({ interface: 'ministry-http', code: String(response.success) });
        }
        res.json(response);
      },
      // A body that is not JSON is a bad parameter in the interface's terms, not an HTTP error.
      (error: unknown, req: Request, res: Response, next: NextFunction) => {
        if ((error as { type?: string }).type === 'entity.parse.failed') {
          res.json({
            functionName: req.params.fn ?? '',
            success: MinistryReturnCode.BAD_PARAMETER,
            pOutInfo: '',
          });
          return;
        }
        next(error);
      },
    ] as RequestHandler[],
  };
  for (const [name, rule] of Object.entries(HTTP_ROUTES) as [HttpRouteName, HttpRouteRule][]) {
    const route = app.route(rule.path).all(routeAccess(rule, policy, log, metrics));
    for (const method of rule.methods) {
      if (method === 'GET') route.get(...handlers[name]);
      else route.post(...handlers[name]);
    }
    route.all((_req, res) => {
      res.setHeader('Allow', rule.methods.join(', '));
      throw new ApiProblem(405, 'METHOD_NOT_ALLOWED', `use ${rule.methods.join(' or ')}`);
    });
  }

  if (options.uiDir) {
    app.use(express.static(options.uiDir, { index: 'index.html', dotfiles: 'ignore', fallthrough: true }));
  }

  app.use((req, _res, next) => {
    next(new ApiProblem(404, 'NOT_FOUND', `no such resource: ${req.method} ${req.path}`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const mapped = requestProblem(error) ?? toProblem(error);
    if (mapped.unexpected) log.error('request failed', { method: req.method, path: req.path, error });
    else log.info('request refused', { method: req.method, path: req.path, code: mapped.problem.code });
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(mapped.status).json(redact(mapped.problem));
  });

  return app;
}
