import { MinistryReturnCode } from '@sscard/agent-protocol';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { redact } from '../log.js';
import { accessMiddleware } from './access-middleware.js';
import type { AccessPolicy } from './access-policy.js';
import type { AgentActions, ReaderSource } from './agent-actions.js';
import type { AgentMetrics } from './metrics.js';
import { callMinistry, parseMinistryRequest } from './ministry.js';
import { ApiProblem, toProblem } from './problem.js';

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
  /** Enrols the terminal with card-service now (`sscard enrol`); absent without a card-service. */
  enrol?: ((code: string) => Promise<Record<string, unknown>>) | undefined;
}

/** Express 5 forwards a rejected promise to the error handler, so handlers can simply be async. */
export function createHttpApp(options: HttpAppOptions): express.Express {
  const { policy, readers, actions, metrics, log } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  });
  app.use(accessMiddleware(policy, log, metrics));
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.get('/healthz', async (_req, res) => {
    res.json(await options.health());
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  const v1 = express.Router();
  v1.use(express.json({ limit: '16kb' }));
  v1.get('/readers', (_req, res) => {
    res.json({ readers: readers.list() });
  });
  v1.post('/card/read', async (req, res) => {
    const reader = (req.body as { reader?: unknown } | undefined)?.reader;
    if (reader !== undefined && (typeof reader !== 'string' || reader.length === 0)) {
      throw new ApiProblem(400, 'BAD_REQUEST', '"reader" must be a reader name', { field: 'reader' });
    }
    res.json(await actions.readCard({ reader }));
  });
  v1.post('/card/pin/verify', async (_req, res) => {
    res.json(await actions.verifyPin());
  });
  v1.post('/card/pin/change', async (_req, res) => {
    res.json(await actions.changePin());
  });
  // The card number comes from the card in the reader; a body naming one is refused, not ignored.
  v1.post('/card/report-lost', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => k !== 'reader');
    if (unknown.length > 0) {
      throw new ApiProblem(
        400,
        'BAD_REQUEST',
        'only "reader" may be given; the card number is read from the card',
        {
          fields: unknown,
        },
      );
    }
    if (body.reader !== undefined && (typeof body.reader !== 'string' || body.reader.length === 0)) {
      throw new ApiProblem(400, 'BAD_REQUEST', '"reader" must be a reader name', { field: 'reader' });
    }
    res.json(await actions.reportLost({ reader: body.reader as string | undefined }));
  });
  v1.post('/registry/enrol', async (req, res) => {
    // Enrolment replaces the terminal's certificate: for the operator's tools, never a web page.
    if (res.locals.client !== 'token') {
      throw new ApiProblem(403, 'TOKEN_CLIENT_ONLY', 'enrolment is for clients with the API token');
    }
    const code = (req.body as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || code.trim().length === 0) {
      throw new ApiProblem(400, 'BAD_REQUEST', '"code" must be the enrolment code', { field: 'code' });
    }
    if (!options.enrol) throw new ApiProblem(404, 'NOT_FOUND', 'this agent has no card-service configured');
    res.json(await options.enrol(code.trim()));
  });
  app.use('/v1', v1);

  // The ministry interface over HTTP: GET with a query string or POST with a JSON or form body,
  // answered 200 with the interface's own return code, as vendor services do.
  const ministry = express.Router();
  ministry.use(express.json({ limit: '4kb' }), express.urlencoded({ extended: false, limit: '4kb' }));
  ministry.all('/:fn', async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new ApiProblem(405, 'METHOD_NOT_ALLOWED', 'use GET or POST');
    }
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
  });
  // A body that is not JSON is a bad parameter in the interface's terms, not an HTTP error.
  ministry.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if ((error as { type?: string }).type === 'entity.parse.failed') {
      res.json({
        functionName: req.params.fn ?? '',
        success: MinistryReturnCode.BAD_PARAMETER,
        pOutInfo: '',
      });
      return;
    }
    next(error);
  });
  app.use('/ministry', ministry);

  if (options.uiDir) {
    app.use(express.static(options.uiDir, { index: 'index.html', dotfiles: 'ignore', fallthrough: true }));
  }

  app.use((req, _res, next) => {
    next(new ApiProblem(404, 'NOT_FOUND', `no such resource: ${req.method} ${req.path}`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bodyError = (error as { type?: string; status?: number }).type;
    const mapped =
      bodyError === 'entity.parse.failed'
        ? {
            status: 400,
            problem: { code: 'BAD_REQUEST', message: 'the body is not valid JSON', details: {} },
            unexpected: false,
          }
        : bodyError === 'entity.too.large'
          ? {
              status: 413,
              problem: { code: 'BODY_TOO_LARGE', message: 'the body is too large', details: {} },
              unexpected: false,
            }
          : toProblem(error);
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
