import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestState, RouteRunner } from './route-runner.js';
import { problemJson, toProblem } from './problem.js';
import type { RouteDef } from './routes.js';

/**
 * A JSON POST route served straight on node:http, for the identity check: the body is read
 * with the same size limit and parsed once, and the route then runs exactly as it does under
 * express (`RouteRunner`: identification, permissions, rate limit, zod validation, handler).
 * The answers are byte for byte those of express and `express.json({strict: true})`:
 *
 * - a body over the limit: 413 `BODY_TOO_LARGE`, after the rest of the body has been read off;
 * - a body that is not JSON, or whose top level is not an object or array: 400 `BODY_NOT_JSON`;
 * - an empty body counts as `{}` (and then fails validation like any incomplete body);
 * - the route template in metrics and logs is `unmatched` for those two failures, as the body
 *   is read before the route is matched under express too.
 *
 * Only requests whose headers leave nothing else to decide come here (`isJsonCheckRequest`):
 * anything else keeps going through express and its body parser.
 */

const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8']);
const DECIMAL = /^[0-9]{1,15}$/;

/**
 * True for `POST <path>` with no query string, a body declared as plain JSON in UTF-8 without a
 * content encoding, and a declared length within the limit (or a chunked body).
 */
export function isJsonCheckRequest(req: IncomingMessage, path: string, limit: number): boolean {
  if (req.method !== 'POST' || req.url !== path) return false;
  const headers = req.headers;
  const type = headers['content-type'];
  if (type === undefined || !PLAIN_JSON.has(type.toLowerCase())) return false;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const length = headers['content-length'];
  if (length === undefined) return headers['transfer-encoding'] !== undefined;
  return DECIMAL.test(length) && Number(length) <= limit;
}

export function serveJsonRoute(
  route: RouteDef,
  req: IncomingMessage,
  res: ServerResponse,
  state: RequestState,
  limit: number,
  run: RouteRunner,
  logUnexpected: (err: unknown) => void,
): void {
  const fail = (err: unknown): void => {
    logUnexpected(err);
    if (res.headersSent) return;
    const { status, problem } = toProblem(err);
    send(res, status, 'application/problem+json; charset=utf-8', problemJson(problem));
  };

  const chunks: Buffer[] = [];
  let received = 0;
  let tooLarge = false;
  let settled = false;
  const onData = (chunk: Buffer): void => {
    if (tooLarge) return;
    received += chunk.length;
    if (received > limit) {
      tooLarge = true;
      chunks.length = 0;
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (settled) return;
    settled = true;
    req.off('error', onError);
    if (tooLarge) {
      fail(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', limit }));
      return;
    }
    let body: unknown;
    try {
      body = parseStrictJson(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    } catch {
      fail(Object.assign(new Error('invalid JSON'), { type: 'entity.parse.failed' }));
      return;
    }
    run(route, req, res, state, {
      body,
      query: {},
      params: {},
      header: (name) => {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v.join(', ') : v;
      },
    })
      .then((result) => {
        if (result.contentType !== undefined) throw new Error('json-route serves JSON answers only');
        send(res, result.status ?? 200, 'application/json; charset=utf-8', JSON.stringify(result.body));
      })
      .catch(fail);
  };
  const onError = (): void => {
    if (settled) return;
    settled = true;
    // As express answers a request aborted mid-body (the client is normally gone by now).
    fail(Object.assign(new Error('request aborted'), { status: 400, expose: true }));
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('error', onError);
}

/**
 * `JSON.parse` with body-parser's strict mode: UTF-8 with an optional BOM, an empty body is `{}`,
 * and the top level must be an object or an array.
 */
function parseStrictJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== 'object')
    throw new SyntaxError('strict JSON: object or array expected');
  return value;
}

function send(res: ServerResponse, status: number, type: string, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
