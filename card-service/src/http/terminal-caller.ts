import { forbidden } from '../errors.js';
import type { RouteContext } from './context.js';

/** The calling terminal; routes for terminals refuse any other caller before they do anything. */
export function terminalOf(ctx: Pick<RouteContext, 'principal'>) {
  if (ctx.principal.kind !== 'terminal') throw forbidden('TERMINAL_ONLY', 'only a terminal may call this');
  return ctx.principal.terminal;
}

/** The calling bank counter: cash leaves the card account only there. */
export function bankCounterOf(ctx: Pick<RouteContext, 'principal'>) {
  const t = terminalOf(ctx);
  if (t.type !== 'bank') throw forbidden('TERMINAL_TYPE_FORBIDDEN', 'withdrawals are at a bank counter');
  return t;
}
