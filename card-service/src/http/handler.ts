import type {
  OperationId,
  RouteAnswer,
  RouteBody,
  RouteContract,
  RouteOf,
  RouteQuery,
} from '@sscard/registry-protocol';
import type { RouteContext, RouteResult } from './context.js';

/**
 * What the service does for one operation of the API (registry-protocol's `ROUTES`): its handler,
 * given the body and query as validated by the operation's schemas.
 */
export interface Handler<C extends RouteContract> {
  /**
   * Reads that depend only on the validated body, started beside the caller's identification
   * instead of after it; `handle` gets their promise as `ctx.prepared`. Run only for callers with a
   * client certificate this service's CA issued, and used only once the caller has passed every
   * check (identity, permissions, rate limit), so a refused request gets the same answer as
   * without it. Undefined from `prepare` means nothing was started.
   */
  prepare?(body: RouteBody<C>): Promise<unknown> | undefined;
  /** Its answer must be what the contract says the route answers with. */
  handle(ctx: HandlerContext<C>): Promise<RouteResult<RouteAnswer<C>>>;
}

export type HandlerContext<C extends RouteContract> = Omit<RouteContext, 'body' | 'query'> & {
  body: RouteBody<C>;
  query: RouteQuery<C>;
};

/** One handler per operation: an operation added to the contract and not handled here fails the build. */
export type Handlers = { [Id in OperationId]: Handler<RouteOf<Id>> };
