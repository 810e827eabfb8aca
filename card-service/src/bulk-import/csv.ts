import type { Readable } from 'node:stream';
import { DomainError } from '../errors.js';

/**
 * A streaming RFC 4180 reader: quoted fields may hold commas, quotes (doubled) and line breaks;
 * CRLF, LF or a lone CR ends a record; empty lines are skipped. It yields the records of each chunk
 * of input with the line each started on, so a file of millions of rows never sits in memory. A
 * record without quotes (nearly all of them) is cut with `indexOf` and `split`; one with quotes
 * goes through a character-by-character reader. A record longer than `MAX_RECORD_CHARS` (a quote
 * that is never closed, a file that is not CSV) stops the reading with `IMPORT_RECORD_TOO_LONG`
 * instead of gathering the rest of the file into one field.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export const MAX_RECORD_CHARS = 1 << 20;

interface Parsed {
  fields: string[];
  /** Where the next record starts. */
  next: number;
  /** Line breaks consumed, the terminator's included. */
  lines: number;
}

/**
 * Cuts records out of one text. The next quote and carriage return after the current position
 * are remembered, so that a text without them is searched once, not once per record.
 */
class Scanner {
  private quote = -1;
  private cr = -1;

  constructor(readonly text: string) {}

  private next(ch: string, cached: number, start: number): number {
    if (cached === Number.MAX_SAFE_INTEGER || cached >= start) return cached;
    const at = this.text.indexOf(ch, start);
    return at === -1 ? Number.MAX_SAFE_INTEGER : at;
  }

  /** The record at `start`, or undefined when the text ends inside it and more may come. */
  record(start: number, final: boolean): Parsed | undefined {
    const text = this.text;
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    this.quote = this.next('"', this.quote, start);
    if (this.quote >= end) {
      this.cr = this.next('\r', this.cr, start);
      if (this.cr >= end - 1) {
        if (nl === -1 && !final) return undefined;
        const stop = this.cr === end - 1 ? this.cr : end;
        return { fields: text.slice(start, stop).split(','), next: end + 1, lines: 1 };
      }
    }
    return parseQuoted(text, start, final);
  }
}

function parseQuoted(text: string, start: number, final: boolean): Parsed | undefined {
  const fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let lines = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (i + 1 === text.length && !final) return undefined;
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') lines++;
        field += ch;
      }
    } else if (ch === '"' && field === '') inQuotes = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      fields.push(field);
      if (ch === '\r') {
        if (i + 1 === text.length && !final) return undefined;
        if (text[i + 1] === '\n') i++;
      }
      return { fields, next: i + 1, lines: lines + 1 };
    } else field += ch;
  }
  if (!final) return undefined;
  fields.push(field);
  return { fields, next: text.length, lines };
}

/** The records of the text, one array per chunk read (possibly empty). */
export async function* readCsvBatches(input: AsyncIterable<string>): AsyncGenerator<CsvRecord[]> {
  let buffer = '';
  let line = 1;
  let first = true;
  const take = (final: boolean): CsvRecord[] => {
    const records: CsvRecord[] = [];
    const scanner = new Scanner(buffer);
    let pos = 0;
    while (pos < buffer.length) {
      const r = scanner.record(pos, final);
      if (r === undefined) break;
      if (!(r.fields.length === 1 && r.fields[0] === '')) records.push({ line, fields: r.fields });
      line += r.lines;
      pos = r.next;
    }
    buffer = pos >= buffer.length ? '' : buffer.slice(pos);
    if (buffer.length > MAX_RECORD_CHARS) {
      throw new DomainError(
        'IMPORT_RECORD_TOO_LONG',
        `line ${line}: a record longer than ${MAX_RECORD_CHARS} characters (a quote not closed?)`,
        400,
        { line },
      );
    }
    return records;
  };
  for await (const chunk of input) {
    buffer += first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
    first = false;
    yield take(false);
  }
  const rest = take(true);
  if (rest.length > 0) yield rest;
}

/** The records of a byte stream, one at a time. */
export async function* readCsv(input: Readable): AsyncGenerator<CsvRecord> {
  input.setEncoding('utf8');
  for await (const records of readCsvBatches(input as AsyncIterable<string>)) yield* records;
}
