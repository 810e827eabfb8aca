import type { Response } from 'express';
import { isSscardError } from '@sscard/card-core';
import { isProblemCode, type Problem } from '@sscard/registry-protocol';
import { DomainError } from '../errors.js';

export const problemJson = (problem: Problem): string => JSON.stringify(problem);

export function sendProblem(res: Response, status: number, problem: Problem): void {
  res.status(status).type('application/problem+json').send(problemJson(problem));
}

/**
 * Maps any thrown value to a status and a problem. Unexpected errors become a bare 500 with an
 * opaque code: their message and stack go to the log only, never to the client.
 */
export function toProblem(e: unknown): { status: number; problem: Problem; unexpected: boolean } {
  if (e instanceof DomainError && isProblemCode(e.code)) {
    return {
      status: e.status,
      problem: { code: e.code, message: e.message, details: { ...(e.details ?? {}) } },
      unexpected: false,
    };
  }
  // A value card-core refuses (an ID number with a bad check character…): the request is at
  // fault; `cause` keeps card-core's own code.
  if (isSscardError(e) && !(e instanceof DomainError)) {
    return {
      status: 400,
      problem: {
        code: 'VALIDATION_FAILED',
        message: e.message,
        details: { ...(e.details ?? {}), cause: e.code },
      },
      unexpected: false,
    };
  }
  const body = e as { type?: string; status?: number; expose?: boolean; limit?: number };
  if (body?.type === 'entity.too.large') {
    return {
      status: 413,
      problem: {
        code: 'BODY_TOO_LARGE',
        message: 'the request body is too large',
        details: typeof body.limit === 'number' ? { limitBytes: body.limit } : {},
      },
      unexpected: false,
    };
  }
  if (body?.type === 'entity.parse.failed') {
    return {
      status: 400,
      problem: { code: 'BODY_NOT_JSON', message: 'the request body is not valid JSON', details: {} },
      unexpected: false,
    };
  }
  if (body?.expose && typeof body.status === 'number' && body.status >= 400 && body.status < 500) {
    return {
      status: body.status,
      problem: { code: 'BAD_REQUEST', message: 'the request cannot be read', details: {} },
      unexpected: false,
    };
  }
  return {
    status: 500,
    problem: { code: 'INTERNAL', message: 'internal error', details: {} },
    unexpected: true,
  };
}
