import { ProtocolError, ValidationError } from './errors.js';

/**
 * BER-TLV as ISO/IEC 7816-4 §5.2 and EMV Book 3 Annex B use it, the DOL format of EMV, and the
 * simple-TLV of social security card records. Parsers never read outside the input, always
 * advance, and bound recursion, so hostile bytes end in a ProtocolError and nothing else.
 *
 * A tag is the integer of its bytes as written: `9F10`, `BF0C`, `DF8101`. Tags are 1 to 4 bytes.
 */

export interface Tlv {
  tag: number;
  /** Bit 6 of the first tag byte: the value is itself a list of BER-TLV objects. */
  constructed: boolean;
  /** The value bytes as read (for a constructed object: its children's encoding). */
  value: Buffer;
  /** The parsed value of a constructed object. */
  children?: Tlv[];
}

/** What `encodeBerTlv` accepts: a parsed `Tlv`, or a node built by hand with value or children. */
export interface TlvInput {
  tag: number;
  constructed?: boolean;
  value?: Uint8Array;
  children?: readonly TlvInput[];
}

export interface ParseBerTlvOptions {
  /** Nesting levels allowed; the top-level list is level 1. */
  maxDepth?: number;
}

export const DEFAULT_TLV_MAX_DEPTH = 16;
export const MAX_TAG_BYTES = 4;
/** Length fields `81`..`84`: up to 4 bytes of length after the first. */
export const MAX_LENGTH_BYTES = 4;

/** `0x9F10` → `'9F10'`. */
export function tagToHex(tag: number): string {
  const hex = tag.toString(16).toUpperCase();
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

function isPadding(b: number): boolean {
  return b === 0x00 || b === 0xff;
}

/**
 * The bytes of a tag, or undefined if the integer is not a well-formed tag: a single byte
 * whose low 5 bits are not all one, or a first byte with low bits 11111 followed by bytes with
 * b8 set except the last, the first of them not 00 or 80 (ISO/IEC 7816-4 §5.2.2.1). Tags
 * 00 and FF… are refused because EMV uses those bytes as padding between objects.
 */
function tagBytesOf(tag: number): number[] | undefined {
  if (!Number.isSafeInteger(tag) || tag <= 0 || tag > 0xffffffff) return undefined;
  const bytes: number[] = [];
  for (let t = tag; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  const first = bytes[0]!;
  if (isPadding(first)) return undefined;
  const multi = (first & 0x1f) === 0x1f;
  if (!multi) return bytes.length === 1 ? bytes : undefined;
  if (bytes.length < 2 || (bytes[1]! & 0x7f) === 0) return undefined;
  for (let i = 1; i < bytes.length; i++) {
    const last = i === bytes.length - 1;
    if (((bytes[i]! & 0x80) === 0) !== last) return undefined;
  }
  return bytes;
}

/** True when the integer is a tag that `encodeBerTlv` can write and `parseBerTlv` reads back. */
export function isValidTag(tag: number): boolean {
  return tagBytesOf(tag) !== undefined;
}

/** Bit 6 of the first tag byte. */
export function isConstructedTag(tag: number): boolean {
  const bytes = tagBytesOf(tag);
  if (!bytes) throw new ValidationError('TLV_TAG_INVALID', `not a BER-TLV tag: ${String(tag)}`);
  return (bytes[0]! & 0x20) !== 0;
}

/** The bytes of a tag (`0x9F10` → `9F 10`). */
export function encodeTag(tag: number): Buffer {
  const bytes = tagBytesOf(tag);
  if (!bytes) {
    throw new ValidationError(
      'TLV_TAG_INVALID',
      `not a BER-TLV tag: ${Number.isSafeInteger(tag) && tag >= 0 ? tagToHex(tag) : String(tag)}`,
    );
  }
  return Buffer.from(bytes);
}

/** The shortest BER length field: `05`, `81 80`, `82 01 00`, … */
export function encodeLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) {
    throw new ValidationError('TLV_VALUE_TOO_LONG', `a BER-TLV length is 0..FFFFFFFF, got ${String(length)}`);
  }
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function truncated(what: string, offset: number): ProtocolError {
  return new ProtocolError('TLV_TRUNCATED', `BER-TLV ends inside ${what} at offset ${offset}`, { offset });
}

interface Cursor {
  bytes: Uint8Array;
  pos: number;
  end: number;
}

function readTag(c: Cursor): number {
  const start = c.pos;
  const first = c.bytes[c.pos++]!;
  if ((first & 0x1f) !== 0x1f) return first;
  let tag = first;
  for (let n = 1; ; n++) {
    if (c.pos >= c.end) throw truncated('a tag', start);
    if (n >= MAX_TAG_BYTES) {
      throw new ProtocolError('TLV_BAD_TAG', `a tag longer than ${MAX_TAG_BYTES} bytes at offset ${start}`, {
        offset: start,
      });
    }
    const b = c.bytes[c.pos++]!;
    if (n === 1 && (b & 0x7f) === 0) {
      throw new ProtocolError('TLV_BAD_TAG', `a tag with a zero first subsequent byte at offset ${start}`, {
        offset: start,
      });
    }
    tag = tag * 256 + b;
    if ((b & 0x80) === 0) return tag;
  }
}

function readLength(c: Cursor): number {
  const start = c.pos;
  if (c.pos >= c.end) throw truncated('a length', start);
  const first = c.bytes[c.pos++]!;
  if (first < 0x80) return first;
  if (first === 0x80) {
    throw new ProtocolError(
      'TLV_INDEFINITE_LENGTH',
      `indefinite length (80) at offset ${start} is not allowed`,
      {
        offset: start,
      },
    );
  }
  const count = first & 0x7f;
  if (count > MAX_LENGTH_BYTES) {
    throw new ProtocolError('TLV_BAD_LENGTH', `a length field of ${count} bytes at offset ${start}`, {
      offset: start,
    });
  }
  if (c.end - c.pos < count) throw truncated('a length', start);
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + c.bytes[c.pos++]!;
  return length;
}

function parseLevel(bytes: Uint8Array, start: number, end: number, level: number, maxDepth: number): Tlv[] {
  if (level > maxDepth) {
    throw new ProtocolError(
      'TLV_TOO_DEEP',
      `BER-TLV nested deeper than ${maxDepth} levels at offset ${start}`,
      {
        offset: start,
        maxDepth,
      },
    );
  }
  const out: Tlv[] = [];
  const c: Cursor = { bytes, pos: start, end };
  while (c.pos < end) {
    if (isPadding(bytes[c.pos]!)) {
      c.pos++;
      continue;
    }
    const at = c.pos;
    const tag = readTag(c);
    const length = readLength(c);
    if (length > end - c.pos) {
      throw new ProtocolError(
        'TLV_TRUNCATED',
        `tag ${tagToHex(tag)} at offset ${at} announces ${length} bytes, ${end - c.pos} remain`,
        { offset: at, tag: tagToHex(tag) },
      );
    }
    const valueStart = c.pos;
    c.pos += length;
    const constructed = (bytes[at]! & 0x20) !== 0;
    const node: Tlv = { tag, constructed, value: Buffer.from(bytes.subarray(valueStart, c.pos)) };
    if (constructed) node.children = parseLevel(bytes, valueStart, c.pos, level + 1, maxDepth);
    out.push(node);
  }
  return out;
}

/**
 * Parses a list of BER-TLV objects. Constructed objects are parsed into `children`; 00 and FF
 * bytes between objects are skipped (EMV Book 3 Annex B). A truncated object, an indefinite or
 * over-long length field, a bad tag or nesting beyond `maxDepth` is a ProtocolError.
 */
export function parseBerTlv(bytes: Uint8Array, options: ParseBerTlvOptions = {}): Tlv[] {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('TLV_NOT_BYTES', 'BER-TLV input must be bytes');
  const maxDepth = options.maxDepth ?? DEFAULT_TLV_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new ValidationError('TLV_OPTIONS', `maxDepth must be a positive integer, got ${String(maxDepth)}`);
  }
  return parseLevel(bytes, 0, bytes.length, 1, maxDepth);
}

function encodeNode(node: TlvInput, level: number, out: Buffer[]): void {
  if (level > DEFAULT_TLV_MAX_DEPTH * 4) {
    // A cycle in hand-built children would otherwise recurse until the stack overflows.
    throw new ValidationError('TLV_TOO_DEEP', 'BER-TLV tree nested too deeply to encode');
  }
  const tag = encodeTag(node.tag);
  const constructed = (tag[0]! & 0x20) !== 0;
  if (node.constructed !== undefined && node.constructed !== constructed) {
    throw new ValidationError(
      'TLV_CONSTRUCTED_MISMATCH',
      `tag ${tagToHex(node.tag)} is ${constructed ? 'constructed' : 'primitive'} but the node says otherwise`,
    );
  }
  let value: Buffer;
  if (node.children !== undefined) {
    if (!constructed) {
      throw new ValidationError(
        'TLV_NOT_CONSTRUCTED',
        `primitive tag ${tagToHex(node.tag)} cannot have children`,
      );
    }
    const parts: Buffer[] = [];
    for (const child of node.children) encodeNode(child, level + 1, parts);
    value = Buffer.concat(parts);
  } else {
    value = node.value === undefined ? Buffer.alloc(0) : Buffer.from(node.value);
  }
  out.push(tag, encodeLength(value.length), value);
}

/**
 * Writes BER-TLV objects with the shortest length fields. A node with `children` is written from
 * its children (so an edited tree re-encodes), otherwise from `value`.
 */
export function encodeBerTlv(nodes: TlvInput | readonly TlvInput[]): Buffer {
  const list: readonly TlvInput[] = Array.isArray(nodes) ? nodes : [nodes as TlvInput];
  const out: Buffer[] = [];
  for (const node of list) encodeNode(node, 1, out);
  return Buffer.concat(out);
}

/** The first object with this tag, searching depth first through constructed objects. */
export function findTlv(nodes: readonly Tlv[], tag: number): Tlv | undefined {
  for (const node of nodes) {
    if (node.tag === tag) return node;
    if (node.children) {
      const found = findTlv(node.children, tag);
      if (found) return found;
    }
  }
  return undefined;
}

/** Every object with this tag, in document order, at any depth. */
export function findAllTlv(nodes: readonly Tlv[], tag: number): Tlv[] {
  const out: Tlv[] = [];
  const walk = (list: readonly Tlv[]): void => {
    for (const node of list) {
      if (node.tag === tag) out.push(node);
      if (node.children) walk(node.children);
    }
  };
  walk(nodes);
  return out;
}

/** One entry of an EMV data object list (PDOL, CDOL1, CDOL2, DDOL): a tag and the length wanted. */
export interface DolEntry {
  tag: number;
  length: number;
}

/**
 * Parses a data object list: tags each followed by a length, no values (EMV Book 3 §5.4).
 * Padding is not allowed in a DOL, so a 00 or FF where a tag belongs is a ProtocolError.
 */
export function parseDol(bytes: Uint8Array): DolEntry[] {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('TLV_NOT_BYTES', 'a DOL must be bytes');
  const c: Cursor = { bytes, pos: 0, end: bytes.length };
  const out: DolEntry[] = [];
  while (c.pos < c.end) {
    if (isPadding(bytes[c.pos]!)) {
      throw new ProtocolError(
        'TLV_BAD_TAG',
        `a DOL has no padding: ${tagToHex(bytes[c.pos]!)} at offset ${c.pos}`,
        {
          offset: c.pos,
        },
      );
    }
    const tag = readTag(c);
    const length = readLength(c);
    out.push({ tag, length });
  }
  return out;
}

/** Writes a data object list. */
export function encodeDol(entries: readonly DolEntry[]): Buffer {
  return Buffer.concat(entries.flatMap((e) => [encodeTag(e.tag), encodeLength(e.length)]));
}

/** The length of the data a DOL asks for: the sum of its entries' lengths. */
export function dolDataLength(entries: readonly DolEntry[]): number {
  return entries.reduce((sum, e) => sum + e.length, 0);
}

/** A simple-TLV object: one tag byte, one length byte, at most 255 value bytes. */
export interface SimpleTlv {
  tag: number;
  value: Buffer;
}

/**
 * Parses simple-TLV, the format of social security card records (`08 12 <18 bytes>`): one tag
 * byte, one length byte. 00 and FF bytes where a tag belongs are filler and are skipped, as
 * fixed-length records are padded with them. An object running past the end is a ProtocolError.
 */
export function parseSimpleTlv(bytes: Uint8Array): SimpleTlv[] {
  if (!(bytes instanceof Uint8Array))
    throw new ProtocolError('TLV_NOT_BYTES', 'simple-TLV input must be bytes');
  const out: SimpleTlv[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tag = bytes[pos]!;
    if (isPadding(tag)) {
      pos++;
      continue;
    }
    if (pos + 1 >= bytes.length) throw truncated('a length', pos + 1);
    const length = bytes[pos + 1]!;
    if (length > bytes.length - pos - 2) {
      throw new ProtocolError(
        'TLV_TRUNCATED',
        `tag ${tagToHex(tag)} at offset ${pos} announces ${length} bytes, ${bytes.length - pos - 2} remain`,
        { offset: pos, tag: tagToHex(tag) },
      );
    }
    out.push({ tag, value: Buffer.from(bytes.subarray(pos + 2, pos + 2 + length)) });
    pos += 2 + length;
  }
  return out;
}

/** Writes simple-TLV objects. Tags are 01..FE (00 and FF are filler); values at most 255 bytes. */
export function encodeSimpleTlv(items: SimpleTlv | readonly SimpleTlv[]): Buffer {
  const list: readonly SimpleTlv[] = Array.isArray(items) ? items : [items as SimpleTlv];
  const out: Buffer[] = [];
  for (const { tag, value } of list) {
    if (!Number.isInteger(tag) || tag < 0x01 || tag > 0xfe) {
      throw new ValidationError('TLV_TAG_INVALID', `a simple-TLV tag is 01..FE, got ${String(tag)}`);
    }
    if (!(value instanceof Uint8Array) || value.length > 0xff) {
      throw new ValidationError(
        'TLV_VALUE_TOO_LONG',
        `a simple-TLV value is at most 255 bytes, got ${value instanceof Uint8Array ? value.length : 'no bytes'}`,
      );
    }
    out.push(Buffer.from([tag, value.length]), Buffer.from(value));
  }
  return Buffer.concat(out);
}
