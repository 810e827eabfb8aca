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
  MINISTRY_PARAMETERS,
  type MinistryArguments,
  type MinistryFunction,
  type MinistryParameterName,
  type MinistryResponse,
  MinistryReturnCode,
} from '@sscard/agent-protocol';

export type { CardInterfaceType, MinistryArguments, MinistryFunction, MinistryResponse };
export { MINISTRY_FUNCTIONS };

export interface MinistryResult {
  code: number;
  output: string;
}

/**
 * What the interface calls on; the agent builds it from CardOperations, the two-step calls and the
 * PIN entry flow. Each function gets its parameters checked: every one its signature names is set.
 */
export type MinistryBackend = Record<MinistryFunction, (args: MinistryArguments) => Promise<MinistryResult>>;

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

/** `iAuthType` of `iReadCard`: 0 or 1, as a number or its digit. */
function parseAuthType(value: unknown): 0 | 1 | undefined {
  const n = typeof value === 'string' && /^\s*[01]\s*$/.test(value) ? Number(value) : value;
  return n === 0 || n === 1 ? n : undefined;
}

/** Text parameters are at most this long: a card info, a list of records, an HSM key. */
const MAX_TEXT_PARAMETER = 512;

function parseText(value: unknown, optional: boolean): string | undefined {
  if (value === undefined || value === null) return optional ? '' : undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT_PARAMETER) return undefined;
  return value;
}

/** One parameter's value, or undefined when it is missing or malformed. */
function parseParameter(
  name: MinistryParameterName,
  value: unknown,
): MinistryArguments[typeof name] | undefined {
  switch (name) {
    case 'iType':
      return parseIType(value);
    case 'iAuthType':
      return parseAuthType(value);
    case 'pCardInfo':
      // The card info may be left empty: the card in the reader, whichever it is.
      return parseText(value, true);
    case 'pFileAddr':
    case 'pKey':
      return parseText(value, false) || undefined;
  }
}

export type ParsedMinistryRequest =
  | { ok: true; fn: MinistryFunction; args: MinistryArguments; id?: string | number }
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
  const positional = body.in as unknown[] | undefined;
  const args: Record<string, unknown> = {};
  for (const [i, parameter] of MINISTRY_PARAMETERS[name].entries()) {
    const value = parseParameter(parameter, positional ? positional[i] : body[parameter]);
    if (value === undefined) return fail(name, MinistryReturnCode.BAD_PARAMETER, id);
    args[parameter] = value;
  }
  const parsed = { ok: true as const, fn: name, args: args as MinistryArguments };
  return id === undefined ? parsed : { ...parsed, id };
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
    result = await backend[request.fn](request.args);
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
