/**
 * The ministry-style card interface that hospital and bank software already calls, offered the
 * way reader vendors do (DESIGN.md §6): a JSON request naming the function, a JSON answer with the
 * return code in `success` and the pipe-separated output in `pOutInfo`. An HIS page switches to the
 * agent by changing the URL it talks to.
 *
 *   → {"function":"iReadCardBas","iType":3}   or   {"func":"iReadCardBas","in":["3"]}
 *   ← {"functionName":"iReadCardBas","success":0,"pOutInfo":"639900|1111…|"}
 *
 * The PIN is never part of a request: `iVerifyPIN` takes it from the PIN pad or the on-screen
 * keypad, so a page cannot script PIN guesses against a card. The shapes and codes are
 * agent-protocol's.
 */
import {
  type CardInterfaceType,
  MINISTRY_FUNCTIONS,
  type MinistryFunction,
  type MinistryResponse,
  MinistryReturnCode,
} from '@sscard/agent-protocol';

export type { CardInterfaceType, MinistryFunction, MinistryResponse };
export { MINISTRY_FUNCTIONS };

export interface MinistryResult {
  code: number;
  output: string;
}

/** What the interface calls on; the agent builds it from CardOperations and the PIN entry flow. */
export type MinistryBackend = Record<MinistryFunction, (iType: CardInterfaceType) => Promise<MinistryResult>>;

function isMinistryFunction(name: string): name is MinistryFunction {
  return (MINISTRY_FUNCTIONS as readonly string[]).includes(name);
}

/** Accepts `3` and `"3"`: vendors' pages send both, and query strings only have text. */
export function parseIType(value: unknown): CardInterfaceType | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : NaN;
  return n === 1 || n === 2 || n === 3 || n === 4 ? n : undefined;
}

export type ParsedMinistryRequest =
  | { ok: true; fn: MinistryFunction; iType: CardInterfaceType; id?: string | number }
  | { ok: false; response: MinistryResponse };

function fail(functionName: string, code: number, id: string | number | undefined): ParsedMinistryRequest {
  const response: MinistryResponse = { functionName, success: code, pOutInfo: '' };
  if (id !== undefined) response.id = id;
  return { ok: false, response };
}

/** Validates one request object. A name that is not a function of ours is -13; anything malformed is -14. */
export function parseMinistryRequest(request: unknown): ParsedMinistryRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return fail('', MinistryReturnCode.BAD_PARAMETER, undefined);
  }
  const body = request as Record<string, unknown>;
  const id = typeof body.id === 'string' || typeof body.id === 'number' ? body.id : undefined;
  // Two dialects: {"function":…,"iType":…} and {"func":…,"in":[iType, …]}.
  const name = body.function ?? body.func;
  if (typeof name !== 'string' || name.length === 0) return fail('', MinistryReturnCode.BAD_PARAMETER, id);
  if (!isMinistryFunction(name)) return fail(name, MinistryReturnCode.UNSUPPORTED, id);
  if (body.in !== undefined && !Array.isArray(body.in))
    return fail(name, MinistryReturnCode.BAD_PARAMETER, id);
  const iType = parseIType(body.iType ?? (body.in as unknown[] | undefined)?.[0]);
  if (iType === undefined) return fail(name, MinistryReturnCode.BAD_PARAMETER, id);
  return id === undefined ? { ok: true, fn: name, iType } : { ok: true, fn: name, iType, id };
}

/** Parses a WebSocket text message; text that is not JSON is a bad parameter (-14). */
export function parseMinistryMessage(text: string): ParsedMinistryRequest {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return fail('', MinistryReturnCode.BAD_PARAMETER, undefined);
  }
  return parseMinistryRequest(request);
}

/**
 * Runs one parsed call. The backend answers with a return code for every failure it knows
 * (no card, PIN cancelled…); `onError` turns anything it throws into a code, so the page always
 * gets an answer in the interface's own terms.
 */
export async function callMinistry(
  backend: MinistryBackend,
  request: ParsedMinistryRequest,
  onError: (error: unknown, fn: MinistryFunction) => number,
): Promise<MinistryResponse> {
  if (!request.ok) return request.response;
  let result: MinistryResult;
  try {
    result = await backend[request.fn](request.iType);
  } catch (e) {
    result = { code: onError(e, request.fn), output: '' };
  }
  const response: MinistryResponse = {
    functionName: request.fn,
    success: result.code,
    // A failed call never carries partial card data in its output.
    pOutInfo: result.code === MinistryReturnCode.OK ? result.output : '',
  };
  if (request.id !== undefined) response.id = request.id;
  return response;
}
