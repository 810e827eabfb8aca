import { RegistryError } from './errors.js';
import type { JsonAnswer } from './https-json.js';

/** The service's JSON problem (`code`, `message`, `details`), or a stand-in when the body is not one. */
export interface ServiceProblem {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export function problemOf(answer: Pick<JsonAnswer, 'status' | 'body'>): ServiceProblem {
  const body = answer.body as Partial<ServiceProblem> | null;
  if (body && typeof body === 'object' && typeof body.code === 'string') {
    return {
      code: body.code,
      message: typeof body.message === 'string' ? body.message : body.code,
      ...(body.details && typeof body.details === 'object' ? { details: body.details } : {}),
    };
  }
  return { code: `HTTP_${answer.status}`, message: `HTTP status ${answer.status}` };
}

/**
 * The RegistryError a refusal becomes. The service says CLIENT_CERT_REVOKED both for a revoked
 * and for an expired certificate; the client checks expiry locally before every call, so here it
 * means revoked.
 */
export function refusalError(answer: Pick<JsonAnswer, 'status' | 'body'>, where: string): RegistryError {
  const problem = problemOf(answer);
  const details = {
    serviceCode: problem.code,
    status: answer.status,
    ...(problem.details ? { problem: problem.details } : {}),
  };
  switch (problem.code) {
    case 'CLIENT_CERT_REVOKED':
    case 'TERMINAL_REVOKED':
      return new RegistryError('TERMINAL_REVOKED', `${where}: card-service revoked this terminal`, details);
    case 'CLIENT_CERT_UNTRUSTED':
    case 'CLIENT_CERT_REQUIRED':
      return new RegistryError(
        'NOT_ENROLLED',
        `${where}: card-service does not accept this terminal's certificate (${problem.code}); enrol the terminal again`,
        details,
      );
    default:
      return new RegistryError('REFUSED', `${where}: ${problem.message}`, details);
  }
}
