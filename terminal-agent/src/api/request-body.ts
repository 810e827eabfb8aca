import type { z } from 'zod';
import { ApiProblem } from './problem.js';

/**
 * A request body as its schema in agent-protocol reads it, or a 400 problem that names the first
 * field the schema refuses (`details.field`), or the fields it does not know (`details.fields`).
 * No body at all reads as an empty object, so routes whose fields are all optional need none.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new ApiProblem(400, 'BAD_REQUEST', issue.message, { fields: issue.keys });
  }
  const field = issue.path.map(String).join('.');
  if (field === '') throw new ApiProblem(400, 'BAD_REQUEST', `the body: ${issue.message}`, { field: '' });
  throw new ApiProblem(400, 'BAD_REQUEST', `"${field}": ${issue.message}`, { field });
}
