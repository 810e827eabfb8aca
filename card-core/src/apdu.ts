import { fromHex, toHex } from './bytes.js';
import { ProtocolError, ValidationError } from './errors.js';
import { INS } from './instructions.js';

/**
 * Command and response APDUs as ISO/IEC 7816-4 §5.1 defines them. This is the one place that
 * decides between short and extended length; everything above it works with `CommandApdu`
 * objects and lets `encodeCommand` pick the form.
 *
 * Lengths are stated as the number of bytes, never as the wire byte: `le: 256` is written `00`
 * in short form, `le: 65536` is written `0000` in extended form. `le: undefined` means the
 * command expects no response data (cases 1 and 3).
 */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Nc bytes). Absent or empty: the command has no Lc field. */
  data?: Uint8Array;
  /** Expected response length Ne: 1..256 in short form, up to 65536 in extended form. */
  le?: number;
}

/** ISO/IEC 7816-4 command cases: 1 no data no Le, 2 Le only, 3 data only, 4 data and Le. */
export type ApduCase = 1 | 2 | 3 | 4;

export interface ParsedCommandApdu extends CommandApdu {
  data: Buffer;
  /** True when the command was written with extended length fields. */
  extended: boolean;
  case: ApduCase;
}

export interface ResponseApdu {
  data: Buffer;
  /** SW1 SW2 as one number, e.g. 0x9000. */
  sw: number;
}

export interface EncodeCommandOptions {
  /**
   * Writes extended length fields even when short ones would do. Some readers and cards need
   * this to be consistent across a chain; left false, the form is chosen from the lengths.
   */
  extended?: boolean;
}

export const MAX_SHORT_NC = 255;
export const MAX_SHORT_NE = 256;
export const MAX_EXTENDED_NC = 65535;
export const MAX_EXTENDED_NE = 65536;
/** Response data of at most Ne = 65536 bytes, plus SW1 SW2. */
export const MAX_RESPONSE_LENGTH = MAX_EXTENDED_NE + 2;

function checkByte(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ValidationError('APDU_FIELD_RANGE', `${name} must be a byte (0..255), got ${String(value)}`, {
      field: name,
    });
  }
  return value;
}

function checkLe(le: unknown): number | undefined {
  if (le === undefined) return undefined;
  if (typeof le !== 'number' || !Number.isInteger(le) || le < 1 || le > MAX_EXTENDED_NE) {
    // A caller writing `le: 0` most likely means the wire byte 00; say how to ask for it.
    throw new ValidationError(
      'APDU_LE_RANGE',
      `le is the expected length 1..${MAX_EXTENDED_NE} (256 is written 00 on the wire), got ${String(le)}`,
    );
  }
  return le;
}

function checkData(data: unknown): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!(data instanceof Uint8Array)) {
    throw new ValidationError('APDU_DATA_TYPE', 'command data must be bytes (Uint8Array or Buffer)');
  }
  if (data.length > MAX_EXTENDED_NC) {
    throw new ValidationError(
      'APDU_DATA_RANGE',
      `command data is at most ${MAX_EXTENDED_NC} bytes, got ${data.length}`,
    );
  }
  return data;
}

/** The ISO case of a command: whether it has data and whether it expects response data. */
export function commandCase(cmd: CommandApdu): ApduCase {
  const hasData = cmd.data !== undefined && cmd.data.length > 0;
  const hasLe = cmd.le !== undefined;
  if (hasData) return hasLe ? 4 : 3;
  return hasLe ? 2 : 1;
}

/** True when the command needs extended length fields (Nc > 255 or Ne > 256). */
export function needsExtendedLength(cmd: CommandApdu): boolean {
  return (cmd.data?.length ?? 0) > MAX_SHORT_NC || (cmd.le ?? 0) > MAX_SHORT_NE;
}

/**
 * The bytes of a command APDU. Short form unless the data or Le do not fit it (or
 * `options.extended`); an extended command writes both Lc and Le in extended form, as ISO
 * requires within one command.
 */
export function encodeCommand(cmd: CommandApdu, options: EncodeCommandOptions = {}): Buffer {
  if (cmd === null || typeof cmd !== 'object') {
    throw new ValidationError(
      'APDU_FIELD_RANGE',
      'a command APDU is an object {cla, ins, p1, p2, data?, le?}',
    );
  }
  const header = [
    checkByte('cla', cmd.cla),
    checkByte('ins', cmd.ins),
    checkByte('p1', cmd.p1),
    checkByte('p2', cmd.p2),
  ];
  const data = checkData(cmd.data);
  const le = checkLe(cmd.le);
  const nc = data.length;
  const extended = options.extended === true || nc > MAX_SHORT_NC || (le ?? 0) > MAX_SHORT_NE;

  if (!extended) {
    const out = Buffer.alloc(4 + (nc > 0 ? 1 + nc : 0) + (le !== undefined ? 1 : 0));
    out.set(header, 0);
    let pos = 4;
    if (nc > 0) {
      out[pos++] = nc;
      out.set(data, pos);
      pos += nc;
    }
    if (le !== undefined) out[pos] = le & 0xff; // 256 → 00
    return out;
  }

  if (nc === 0 && le === undefined) {
    // Case 1 has no length fields, so there is nothing to write in extended form.
    return Buffer.from(header);
  }
  const out = Buffer.alloc(4 + 1 + (nc > 0 ? 2 + nc : 0) + (le !== undefined ? 2 : 0));
  out.set(header, 0);
  let pos = 4;
  out[pos++] = 0x00;
  if (nc > 0) {
    out.writeUInt16BE(nc, pos);
    pos += 2;
    out.set(data, pos);
    pos += nc;
  }
  if (le !== undefined) out.writeUInt16BE(le & 0xffff, pos); // 65536 → 0000
  return out;
}

function malformed(bytes: Uint8Array, reason: string): ProtocolError {
  return new ProtocolError('APDU_MALFORMED', `not a command APDU: ${reason}`, { length: bytes.length });
}

/**
 * Reads a command APDU in any of the seven forms (1, 2S, 3S, 4S, 2E, 3E, 4E). The body length
 * must match the length fields exactly; anything else is a ProtocolError (APDU_MALFORMED).
 */
export function parseCommand(bytes: Uint8Array): ParsedCommandApdu {
  if (!(bytes instanceof Uint8Array)) throw malformed(new Uint8Array(0), 'input is not bytes');
  const n = bytes.length;
  if (n < 4) throw malformed(bytes, `${n} bytes, a header is 4`);
  const cla = bytes[0]!;
  const ins = bytes[1]!;
  const p1 = bytes[2]!;
  const p2 = bytes[3]!;
  const base = { cla, ins, p1, p2 };
  if (n === 4) return { ...base, data: Buffer.alloc(0), extended: false, case: 1 };

  const b0 = bytes[4]!;
  if (n === 5) return { ...base, data: Buffer.alloc(0), le: b0 === 0 ? 256 : b0, extended: false, case: 2 };

  if (b0 !== 0) {
    const nc = b0;
    if (n === 5 + nc) {
      return { ...base, data: Buffer.from(bytes.subarray(5, 5 + nc)), extended: false, case: 3 };
    }
    if (n === 6 + nc) {
      const le = bytes[5 + nc]!;
      return {
        ...base,
        data: Buffer.from(bytes.subarray(5, 5 + nc)),
        le: le === 0 ? 256 : le,
        extended: false,
        case: 4,
      };
    }
    throw malformed(bytes, `Lc ${nc} does not match a body of ${n - 4} bytes`);
  }

  // First body byte 00 with more bytes after it: extended length.
  if (n < 7) throw malformed(bytes, `extended length marker with a body of ${n - 4} bytes`);
  const first = (bytes[5]! << 8) | bytes[6]!;
  if (n === 7) {
    return { ...base, data: Buffer.alloc(0), le: first === 0 ? 65536 : first, extended: true, case: 2 };
  }
  const nc = first;
  if (nc === 0) throw malformed(bytes, 'extended Lc of 0000');
  if (n === 7 + nc) {
    return { ...base, data: Buffer.from(bytes.subarray(7, 7 + nc)), extended: true, case: 3 };
  }
  if (n === 9 + nc) {
    const le = (bytes[7 + nc]! << 8) | bytes[8 + nc]!;
    return {
      ...base,
      data: Buffer.from(bytes.subarray(7, 7 + nc)),
      le: le === 0 ? 65536 : le,
      extended: true,
      case: 4,
    };
  }
  throw malformed(bytes, `extended Lc ${nc} does not match a body of ${n - 4} bytes`);
}

/** A command APDU from hex text, e.g. `commandFromHex('00A4040002EF05')`; spaces are allowed. */
export function commandFromHex(hex: string): ParsedCommandApdu {
  return parseCommand(fromHex(hex));
}

/** Splits a response APDU into data and SW1 SW2. Fewer than 2 bytes is a ProtocolError. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError('RESPONSE_MALFORMED', 'a response APDU must be bytes');
  }
  if (bytes.length < 2) {
    throw new ProtocolError(
      'RESPONSE_TOO_SHORT',
      `a response APDU ends with SW1 SW2, got ${bytes.length} byte${bytes.length === 1 ? '' : 's'}`,
      { length: bytes.length },
    );
  }
  if (bytes.length > MAX_RESPONSE_LENGTH) {
    throw new ProtocolError(
      'RESPONSE_TOO_LONG',
      `a response APDU carries at most ${MAX_EXTENDED_NE} data bytes, got ${bytes.length - 2}`,
      { length: bytes.length },
    );
  }
  const end = bytes.length - 2;
  return { data: Buffer.from(bytes.subarray(0, end)), sw: (bytes[end]! << 8) | bytes[end + 1]! };
}

/** The bytes of a response APDU: data followed by SW1 SW2. */
export function encodeResponse(data: Uint8Array, sw: number): Buffer {
  if (!(data instanceof Uint8Array)) {
    throw new ValidationError('APDU_DATA_TYPE', 'response data must be bytes (Uint8Array or Buffer)');
  }
  if (data.length > MAX_EXTENDED_NE) {
    throw new ValidationError(
      'APDU_DATA_RANGE',
      `response data is at most ${MAX_EXTENDED_NE} bytes, got ${data.length}`,
    );
  }
  if (typeof sw !== 'number' || !Number.isInteger(sw) || sw < 0 || sw > 0xffff) {
    throw new ValidationError('SW_RANGE', `a status word is 0000..FFFF, got ${String(sw)}`);
  }
  const out = Buffer.alloc(data.length + 2);
  out.set(data, 0);
  out.writeUInt16BE(sw, data.length);
  return out;
}

/** `9000`, `6A82`: a status word as the four hex digits everyone quotes. */
export function swToHex(sw: number): string {
  return (sw & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Instructions whose command data carries a PIN, a key or personal data: VERIFY (20), CHANGE
 * REFERENCE DATA (24), RESET RETRY COUNTER (2C), the PBOC-style PIN change/reload (5E), PUT KEY
 * (D8), and the writes of personalisation (UPDATE/WRITE BINARY D6/D0, UPDATE RECORD DC, APPEND
 * RECORD E2, PUT DATA DA/DB). Logs show only their length.
 */
const SECRET_DATA_INS: ReadonlySet<number> = new Set<number>([
  ...[INS.VERIFY, INS.CHANGE_REFERENCE_DATA, INS.RESET_RETRY_COUNTER, INS.PUT_DATA].flatMap((ins) => [
    ins,
    // the odd form of the instruction, whose data is BER-TLV encoded
    ins | 1,
  ]),
  INS.PIN_MANAGEMENT,
  INS.WRITE_BINARY,
  INS.UPDATE_BINARY,
  INS.PUT_KEY,
  INS.UPDATE_RECORD,
  INS.APPEND_RECORD,
]);

/** True when logs must not show the command's data (it may hold a PIN, a key or an ID number). */
export function commandDataIsSecret(cmd: Pick<CommandApdu, 'ins'>): boolean {
  return SECRET_DATA_INS.has(cmd.ins);
}

function spaced(bytes: Uint8Array): string {
  return toHex(bytes).replace(/(..)(?!$)/g, '$1 ');
}

function hexByte(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * A command for logs: `00 A4 04 00 | 0F | 73 78 … | 00`; extended length fields follow the `00`
 * marker (`00 B0 00 00 | 00 | 01 00`). The data of commands that carry a PIN, a key or personal
 * data is replaced by its length (`<3 bytes hidden>`), always: there is no switch to reveal it,
 * so a debug log level cannot leak a PIN. Bytes that are not a command are shown as raw hex
 * marked malformed (with secret-bearing instructions hidden too), because a log line must not throw.
 */
export function formatCommand(cmd: CommandApdu | Uint8Array): string {
  let c: CommandApdu & { extended?: boolean };
  if (cmd instanceof Uint8Array) {
    try {
      c = parseCommand(cmd);
    } catch {
      const secret = cmd.length > 4 && commandDataIsSecret({ ins: cmd[1]! });
      const shown = secret ? `${spaced(cmd.subarray(0, 4))} <${cmd.length - 4} bytes hidden>` : spaced(cmd);
      return `malformed command: ${shown}`;
    }
  } else {
    c = cmd;
  }
  const parts = [[c.cla, c.ins, c.p1, c.p2].map(hexByte).join(' ')];
  const data = c.data ?? new Uint8Array(0);
  const extended = c.extended ?? needsExtendedLength(c);
  const length = (n: number): string =>
    extended ? `${hexByte((n >> 8) & 0xff)} ${hexByte(n & 0xff)}` : hexByte(n & 0xff);
  if (extended && commandCase(c) !== 1) parts.push('00');
  if (data.length > 0) {
    parts.push(length(data.length));
    parts.push(commandDataIsSecret(c) ? `<${data.length} bytes hidden>` : spaced(data));
  }
  if (c.le !== undefined) parts.push(length(c.le));
  return parts.join(' | ');
}

export interface FormatResponseOptions {
  /**
   * Shows the response data in hex. Off by default because READ RECORD answers hold ID numbers
   * and names, which logs must not contain; turn it on only for traces of test cards.
   */
  showData?: boolean;
}

/** A response for logs: `<18 bytes> | 90 00`, or with `showData` `08 12 31 … | 90 00`. */
export function formatResponse(res: ResponseApdu, options: FormatResponseOptions = {}): string {
  const sw = `${hexByte((res.sw >> 8) & 0xff)} ${hexByte(res.sw & 0xff)}`;
  if (res.data.length === 0) return sw;
  const data = options.showData === true ? spaced(res.data) : `<${res.data.length} bytes>`;
  return `${data} | ${sw}`;
}
