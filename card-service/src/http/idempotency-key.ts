import { DomainError } from '../errors.js';
import type { RouteContext } from './context.js';

/**
 * The `Idempotency-Key` header that every state change a terminal asks for carries (1–100
 * characters, e.g. `<terminal id>:<journal seq>`): a retry with the same key gets the stored result.
 */
export function idempotencyKeyOf(ctx: Pick<RouteContext, 'header'>): string {
  const key = ctx.header('idempotency-key');
  if (!key || key.length > 100) {
    throw new DomainError(
      'IDEMPOTENCY_KEY_REQUIRED',
      'terminals send an Idempotency-Key header (1–100 characters)',
      400,
    );
  }
  return key;
}
