import {
  type OperationId,
  ROUTES,
  type RouteAnswer,
  type RouteBody,
  type RouteOf,
  type Scope,
} from '@sscard/registry-protocol';
import { clearToken, currentToken } from './session.js';

/**
 * The console's one way to the service: an operation of registry-protocol's route list, called on
 * the origin that served the page, with the operator's token as the bearer (never in a URL).
 */

/** A refusal of the service, as its problem body says it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The codes that mean the token no longer signs anyone in: the console goes back to sign-in. */
const SIGNED_OUT = new Set(['TOKEN_INVALID', 'TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_REQUIRED']);

let onSignedOut: () => void = () => undefined;
/** What the shell does when the service no longer accepts the token. */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export interface CallInput<Id extends OperationId> {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: RouteBody<RouteOf<Id>> | Record<string, unknown>;
}

const routeOf = (id: OperationId) => ROUTES.find((r) => r.operationId === id)!;

/** The URL of an operation, its path parameters filled in and the query appended. */
export function urlOf<Id extends OperationId>(id: Id, input: CallInput<Id> = {}): string {
  const r = routeOf(id);
  const path = r.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = input.params?.[name];
    if (value === undefined) throw new Error(`${id}: path parameter ${name} missing`);
    return encodeURIComponent(value);
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(input.query ?? {}))
    if (v !== undefined && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send(method: string, url: string, body: unknown, accept: string): Promise<Response> {
  const token = currentToken();
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: method.toUpperCase(),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (res.ok) return res;
  const problem = (await res.json().catch(() => ({}))) as {
    code?: string;
    message?: string;
    details?: Record<string, unknown>;
  };
  const code = problem.code ?? `HTTP_${res.status}`;
  if (res.status === 401 && SIGNED_OUT.has(code)) {
    clearToken();
    onSignedOut();
  }
  throw new ApiError(res.status, code, problem.message ?? res.statusText, problem.details ?? {});
}

/** Calls an operation and returns its JSON answer. */
export async function call<Id extends OperationId>(
  id: Id,
  input: CallInput<Id> = {},
): Promise<RouteAnswer<RouteOf<Id>>> {
  const r = routeOf(id);
  const res = await send(
    r.method,
    urlOf(id, input),
    r.method === 'get' ? undefined : (input.body ?? {}),
    'application/json',
  );
  return (await res.json()) as RouteAnswer<RouteOf<Id>>;
}

/** Fetches an operation's CSV answer and hands it to the browser as a download (the token stays in a header). */
export async function downloadCsv<Id extends OperationId>(
  id: Id,
  input: CallInput<Id>,
  fileName: string,
): Promise<void> {
  const res = await send('get', urlOf(id, input), undefined, 'text/csv');
  const blob = await res.blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** Whether an operator holding `scopes` may call the operation (admin may call every operator route). */
export function mayCall(scopes: readonly Scope[], id: OperationId): boolean {
  const access = routeOf(id).access as { scope?: Scope; anyOperator?: true };
  if (access.anyOperator) return true;
  if (access.scope === undefined) return false;
  return scopes.includes('admin') || scopes.includes(access.scope);
}
