import type { Problem } from './protocol.js';

/**
 * A refusal as a counter screen shows it: the agent's problem, or the page's own word that no
 * answer came (`AGENT_UNREACHABLE`, `HTTP_<status>` for an answer that was no problem).
 */
export interface Refusal {
  code: Problem['code'] | 'AGENT_UNREACHABLE' | 'NO_ANSWER' | `HTTP_${number}`;
  message: string;
  details: Record<string, unknown>;
}

/** An answer of the agent's REST API: its result, or why there is none. */
export type RestReply<T> = { ok: true; result: T } | { ok: false; problem: Refusal };

/** No answer at all: the agent is not reachable from this page. */
export const NO_ANSWER: Refusal = {
  code: 'AGENT_UNREACHABLE',
  message: 'the terminal agent did not answer',
  details: {},
};

/**
 * A call to the agent that served this page, same origin, so no token: the agent knows its own
 * page by the browser's Origin and Sec-Fetch-Site headers. A refusal comes back as the agent's
 * problem, never as an exception, so that every screen has one way to show it.
 */
export async function callAgent<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<RestReply<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    return { ok: false, problem: NO_ANSWER };
  }
  const answer: unknown = await res.json().catch(() => undefined);
  if (res.ok && answer !== undefined) return { ok: true, result: answer as T };
  const problem = answer as Partial<Problem> | undefined;
  if (problem && typeof problem.code === 'string') {
    return {
      ok: false,
      problem: { code: problem.code, message: problem.message ?? '', details: problem.details ?? {} },
    };
  }
  return { ok: false, problem: { code: `HTTP_${res.status}`, message: res.statusText, details: {} } };
}
