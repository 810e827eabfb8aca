import { MINISTRY_FUNCTIONS, MinistryReturnCode } from '@sscard/agent-protocol';
import type { MinistryBackend } from '../api/ministry.js';

/** A ministry backend for API tests: the functions given, every other one answering "not supported" (-13). */
export function ministryBackend(functions: Partial<MinistryBackend>): MinistryBackend {
  const backend = {} as MinistryBackend;
  for (const fn of MINISTRY_FUNCTIONS) {
    backend[fn] = functions[fn] ?? (async () => ({ code: MinistryReturnCode.UNSUPPORTED, output: '' }));
  }
  return backend;
}
