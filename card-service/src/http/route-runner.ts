import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, RouteResult } from './context.js';
import type { RouteDef } from './routes.js';

/** What the request log and the metrics need to know about a request once it is answered. */
export interface RequestState {
  principal?: Principal | undefined;
  routeTemplate?: string | undefined;
}

/** The request as a route sees it, whichever way it was read. */
export interface RouteInput {
  body: unknown;
  query: unknown;
  params: Record<string, string>;
  header(name: string): string | undefined;
}

/**
 * One route's work after the body is read: who is calling, may they, rate limit, validation,
 * the handler. Throws what the error handler turns into a problem response.
 */
export type RouteRunner = (
  route: RouteDef,
  req: IncomingMessage,
  res: ServerResponse,
  state: RequestState,
  input: RouteInput,
) => Promise<RouteResult>;
