import type { Readable } from 'node:stream';

/**
 * A streaming RFC 4180 reader: quoted fields may hold commas, quotes (doubled) and line breaks;
 * CRLF or LF ends a record. It yields one record at a time with the line it started on, so a
 * file of millions of rows never sits in memory.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export async function* readCsv(input: Readable): AsyncGenerator<CsvRecord> {
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let quoteSeen = false;
  let line = 1;
  let recordLine = 1;
  let pendingCr = false;
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    let text = chunk;
    if (
      recordLine === 1 &&
      line === 1 &&
      fields.length === 0 &&
      field === '' &&
      text.charCodeAt(0) === 0xfeff
    ) {
      text = text.slice(1);
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (ch === '\n') continue;
      }
      if (inQuotes) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else if (i + 1 === text.length) {
            // A quote at a chunk's end: the next chunk decides whether it is doubled.
            quoteSeen = true;
            inQuotes = false;
          } else inQuotes = false;
        } else {
          if (ch === '\n') line++;
          field += ch;
        }
        continue;
      }
      if (quoteSeen) {
        quoteSeen = false;
        if (ch === '"') {
          field += '"';
          inQuotes = true;
          continue;
        }
      }
      if (ch === '"' && field === '') inQuotes = true;
      else if (ch === ',') {
        fields.push(field);
        field = '';
      } else if (ch === '\n' || ch === '\r') {
        fields.push(field);
        field = '';
        if (!(fields.length === 1 && fields[0] === '')) yield { line: recordLine, fields };
        fields = [];
        line++;
        recordLine = line;
        if (ch === '\r') pendingCr = true;
      } else field += ch;
    }
  }
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    yield { line: recordLine, fields };
  }
}
