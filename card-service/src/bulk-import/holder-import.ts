import { createHash, hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Holder, InsuranceRelation, RelationStatus } from '../registry/model.js';
import { holderFromInput } from '../registry/holders.js';
import { relationFromInput } from '../registry/insurance-relations.js';
import * as q from '../registry/queries.js';
import { insertRows } from '../store/bulk-insert.js';
import type { Store } from '../store/store.js';
import { type CsvRecord, readCsvBatches } from './csv.js';
import { DuplicateKeys } from './duplicate-keys.js';
import { ProgressMeter } from './progress.js';

/**
 * Bulk import of holders from CSV, for a province's initial load (tens of millions of rows).
 *
 * Policy: a file with any bad row imports nothing. Pass 1 streams the file and reports every bad
 * row (line number and reason), including ID numbers and person numbers repeated in the file or
 * already registered. Only a clean file goes to pass 2, which streams it again and commits it in
 * batches; each batch commits with the checkpoint that counts it, so after a crash the same command
 * resumes after the last committed batch (the checkpoint is keyed by the file's SHA-256: an edited
 * file starts over). Pass 1 hashes what it reads too, so the rows it checked are the rows of the
 * file the checkpoint names.
 *
 * Columns (header row, any order): id_number, name, ethnicity, region; optional person_no,
 * gender, birth_date, birthplace, relations. `relations` is `;`-separated
 * `scheme:insuredRegion:startDate[:paused:pauseDate]`, e.g. `310:330300:2010-01-01;110:330300:2010-01-01`.
 *
 * Speed (see the README): pass 2 parses the next batch while the store commits the previous one;
 * a batch is one transaction of three statements (holders, relations, history; each batch's rows
 * travel as one JSON array) plus the checkpoint and one audit entry, on the store's bulk-load
 * connection. Memory is bounded: two batches of rows, and the duplicate search's sorted runs of
 * keys, which spill to a temporary directory past 4 Mi keys per kind.
 */
export const REQUIRED_COLUMNS = ['id_number', 'name', 'ethnicity', 'region'] as const;
export const OPTIONAL_COLUMNS = ['person_no', 'gender', 'birth_date', 'birthplace', 'relations'] as const;

export const DEFAULT_BATCH_SIZE = 20_000;
/** Rows per lookup of already registered ID numbers and person numbers in pass 1. */
const LOOKUP_ROWS = 5_000;

export interface RowError {
  line: number;
  reason: string;
}

export interface ImportReport {
  file: string;
  importId: string;
  rows: number;
  imported: number;
  /** Rows already committed by an earlier, interrupted run. */
  resumedFrom: number;
  /** The first `maxReportedErrors` bad rows by line. */
  errors: RowError[];
  /** More bad rows existed than `errors` holds. */
  errorsTruncated: boolean;
}

export interface ImportOptions {
  batchSize?: number;
  maxReportedErrors?: number;
  /** Progress lines (a bar, rows, rows/s, ETA), at most about one a second, and one per pass end. */
  progress?: (message: string) => void;
  /** Keys held in memory per kind before the duplicate search spills a sorted run to disk. */
  duplicateRunKeys?: number;
  /** For crash tests: stop after committing this many batches. */
  stopAfterBatches?: number;
}

interface ParsedRow {
  line: number;
  holder: Holder;
  relations: InsuranceRelation[];
}

type Columns = Record<string, number>;

/**
 * Relation ids of an import: the file's hash prefix, the row's index in the file and the
 * relation's index in the row. Deterministic (a resumed run makes the same ones), unique (fixed
 * width row index), and increasing through the file, so the primary key index grows at its end
 * instead of taking random inserts all over a large tree.
 */
const relationId = (prefix: string, index: number, i: number) =>
  `${prefix}${String(index).padStart(10, '0')}${String(i).padStart(2, '0')}`;

/** 64-bit key of a person number; a shared key is confirmed on the values before it is reported. */
const personKey = (personNo: string) => BigInt(`0x${hash('sha256', personNo).slice(0, 16)}`);

/** Exact key of a valid citizen ID number: its check character follows from the 17 digits before. */
const idKey = (idNumber: string) => BigInt(idNumber.slice(0, 17));

class RowParser {
  private columns: Columns | undefined;
  private readonly index: Record<string, number | undefined> = {};

  constructor(
    private readonly now: Date,
    private readonly relationPrefix: string,
  ) {}

  /** Takes the first record as the header: true when `record` was it. */
  header(record: CsvRecord): boolean {
    if (this.columns) return false;
    const columns: Columns = {};
    record.fields.forEach((name, i) => {
      columns[name.trim().toLowerCase()] = i;
    });
    const missing = REQUIRED_COLUMNS.filter((c) => columns[c] === undefined);
    if (missing.length > 0) {
      throw new DomainError(
        'IMPORT_HEADER_INVALID',
        `the header lacks the columns ${missing.join(', ')}`,
        400,
      );
    }
    this.columns = columns;
    for (const c of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) this.index[c] = columns[c];
    return true;
  }

  get started(): boolean {
    return this.columns !== undefined;
  }

  /** One data row; throws the row's DomainError when it is bad. `index`: the row's place among data rows. */
  row(record: CsvRecord, index: number): ParsedRow {
    const fields = record.fields;
    const get = (name: string) => {
      const i = this.index[name];
      return i === undefined ? undefined : (fields[i] ?? '').trim() || undefined;
    };
    const gender = get('gender');
    if (gender !== undefined && gender !== '1' && gender !== '2') {
      throw new DomainError('VALIDATION_FAILED', 'gender: 1 or 2 expected', 400);
    }
    const idNumber = get('id_number') ?? '';
    const given = get('person_no');
    if (given !== undefined && !/^[A-Za-z0-9]{4,32}$/.test(given)) {
      throw new DomainError('VALIDATION_FAILED', 'person_no: 4 to 32 letters or digits expected', 400);
    }
    // A person number from the file is stable across re-runs; a generated one is not, so the
    // import derives it from the ID number instead of drawing a random one.
    const personNo = given ?? `P${hash('sha256', idNumber).slice(0, 16).toUpperCase()}`;
    const birthDate = get('birth_date');
    const birthplace = get('birthplace');
    const holder = holderFromInput(
      {
        idNumber,
        name: get('name') ?? '',
        ethnicity: get('ethnicity') ?? '',
        region: get('region') ?? '',
        personNo,
        ...(gender ? { gender: gender as '1' | '2' } : {}),
        ...(birthDate ? { birthDate } : {}),
        ...(birthplace ? { birthplace } : {}),
      },
      this.now,
    );
    const text = get('relations') ?? '';
    const relations =
      text === ''
        ? []
        : text.split(';').map((part, i) => {
            const [schemeCode = '', insuredRegion = '', startDate = '', status, pauseDate] = part
              .trim()
              .split(':');
            return relationFromInput(
              personNo,
              {
                schemeCode,
                insuredRegion,
                startDate,
                ...(status ? { status: status as RelationStatus } : {}),
                ...(pauseDate ? { pauseDate } : {}),
              },
              relationId(this.relationPrefix, index, i),
            );
          });
    return { line: record.line, holder, relations };
  }
}

/** The file's records, chunk by chunk, feeding the raw bytes to `onBytes` (hashing, progress). */
async function* fileRecords(path: string, onBytes: (chunk: Buffer) => void): AsyncGenerator<CsvRecord[]> {
  async function* text() {
    const decoder = new StringDecoder('utf8');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      onBytes(chunk as Buffer);
      yield decoder.write(chunk as Buffer);
    }
    const rest = decoder.end();
    if (rest) yield rest;
  }
  yield* readCsvBatches(text());
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The first `max` errors by line, whatever order they are found in. */
class ErrorList {
  private list: RowError[] = [];
  count = 0;

  constructor(private readonly max: number) {}

  add(e: RowError): void {
    this.count++;
    this.list.push(e);
    if (this.list.length >= 2 * this.max) this.trim();
  }

  private trim(): void {
    this.list.sort((a, b) => a.line - b.line);
    this.list.length = Math.min(this.list.length, this.max);
  }

  sorted(): RowError[] {
    this.trim();
    return this.list;
  }
}

export async function importHolders(
  store: Store,
  clock: Clock,
  path: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxErrors = options.maxReportedErrors ?? 1000;
  const say = options.progress ?? (() => undefined);
  const now = clock();
  const fileBytes = (await stat(path)).size;
  const importId = await fileSha256(path);
  const relationPrefix = `R${importId.slice(0, 12).toUpperCase()}`;
  const errors = new ErrorList(maxErrors);
  const checkpoint = await store.get<{ committed_rows: number; completed_at: string | null }>(
    'SELECT committed_rows, completed_at FROM import_checkpoints WHERE import_id = ?',
    [importId],
  );
  const resumedFrom = Number(checkpoint?.committed_rows ?? 0);
  const report = (rows: number, imported: number): ImportReport => {
    const list = errors.sorted();
    return {
      file: basename(path),
      importId,
      rows,
      imported,
      resumedFrom,
      errors: list,
      errorsTruncated: errors.count > list.length || moreErrors,
    };
  };

  // Pass 1: every row checked; nothing written.
  const tmp = await mkdtemp(join(tmpdir(), 'sscard-import-'));
  const idKeys = new DuplicateKeys(tmp, 'id', options.duplicateRunKeys);
  const personKeys = new DuplicateKeys(tmp, 'person', options.duplicateRunKeys);
  let count = 0;
  let dataRows = 0;
  let moreErrors = false;
  try {
    const parser = new RowParser(now, relationPrefix);
    const meter = new ProgressMeter('checking', say);
    const contentHash = createHash('sha256');
    let bytesRead = 0;
    let lookup: ParsedRow[] = [];
    let pending: Promise<void> = Promise.resolve();
    // Looks up a batch of rows against the registry while the next batch is parsed.
    const lookUp = (batch: ParsedRow[]) => {
      const previous = pending;
      pending = (async () => {
        const existing = await q.existingHolderKeys(
          store,
          batch.map((r) => r.holder.idNumber),
          batch.map((r) => r.holder.personNo),
        );
        await previous;
        for (const r of batch) {
          if (existing.idNumbers.has(r.holder.idNumber))
            errors.add({ line: r.line, reason: 'idNumber: already registered' });
          else if (existing.personNos.has(r.holder.personNo))
            errors.add({ line: r.line, reason: 'person_no: already registered' });
        }
      })();
      // Handled here so that a failed lookup is thrown at the next `await pending`.
      pending.catch(() => undefined);
    };
    let index = 0;
    for await (const records of fileRecords(path, (chunk) => {
      contentHash.update(chunk);
      bytesRead += chunk.length;
    })) {
      for (const record of records) {
        if (parser.header(record)) continue;
        const i = index++;
        let row: ParsedRow;
        try {
          row = parser.row(record, i);
        } catch (e) {
          if (e instanceof DomainError) {
            errors.add({ line: record.line, reason: e.message });
            continue;
          }
          throw e;
        }
        count++;
        idKeys.add(idKey(row.holder.idNumber));
        personKeys.add(personKey(row.holder.personNo));
        // Rows an interrupted run committed are expected to exist already; the rest must not.
        if (i >= resumedFrom) {
          lookup.push(row);
          if (lookup.length >= LOOKUP_ROWS) {
            await pending;
            lookUp(lookup);
            lookup = [];
          }
        }
      }
      meter.update(index, bytesRead / Math.max(1, fileBytes));
    }
    if (!parser.started) throw new DomainError('IMPORT_HEADER_INVALID', 'the file is empty', 400);
    if (lookup.length > 0) lookUp(lookup);
    await pending;
    if (contentHash.digest('hex') !== importId) {
      throw new DomainError('IMPORT_FILE_CHANGED', 'the file changed while it was being read', 409);
    }
    const ids = idKeys.finish(maxErrors);
    const persons = personKeys.finish(maxErrors);
    if (ids.keys.size > 0 || persons.keys.size > 0) {
      // Name the lines: the repeated ID numbers are exact; a shared person key is confirmed on the values.
      const firstId = new Map<bigint, number>();
      const firstPerson = new Map<string, number>();
      const locate = new RowParser(now, relationPrefix);
      let i = 0;
      for await (const records of fileRecords(path, () => undefined)) {
        for (const record of records) {
          if (locate.header(record)) continue;
          let row: ParsedRow;
          try {
            row = locate.row(record, i++);
          } catch {
            continue;
          }
          const id = idKey(row.holder.idNumber);
          if (ids.keys.has(id)) {
            const seen = firstId.get(id);
            if (seen === undefined) firstId.set(id, row.line);
            else errors.add({ line: row.line, reason: `idNumber: repeats line ${seen}` });
            continue;
          }
          const personNo = row.holder.personNo;
          if (persons.keys.has(personKey(personNo))) {
            const seen = firstPerson.get(personNo);
            if (seen === undefined) firstPerson.set(personNo, row.line);
            else errors.add({ line: row.line, reason: `person_no: repeats line ${seen}` });
          }
        }
      }
      // The scan keeps at most `maxErrors` repeated keys of each kind: any beyond are not listed.
      moreErrors = ids.truncated || persons.truncated;
    }
    dataRows = index;
    meter.done(`checked ${dataRows} rows, ${errors.count}${moreErrors ? ' or more' : ''} bad`);
  } finally {
    idKeys.discard();
    personKeys.discard();
    await rm(tmp, { recursive: true, force: true });
  }
  if (errors.count > 0) return report(dataRows, 0);
  if (checkpoint?.completed_at) return report(count, 0);

  // Pass 2: batches, each committed with its checkpoint; the next batch is parsed meanwhile.
  const startedAt = now.toISOString();
  if (!checkpoint) {
    await store.run(
      `INSERT INTO import_checkpoints (import_id, file_name, total_rows, committed_rows, started_at, updated_at)
       VALUES (?, ?, ?, 0, ?, ?)`,
      [importId, basename(path), count, startedAt, startedAt],
    );
  }
  const actor = `import:${importId.slice(0, 16)}`;
  const historyChanges = JSON.stringify({ importId });
  const meter = new ProgressMeter('importing', say, count - resumedFrom);
  let done = resumedFrom;
  let batches = 0;
  const commit = async (rows: ParsedRow[]) => {
    await store.bulkTransaction(async (tx) => {
      const at = clock().toISOString();
      await q.insertHolders(
        tx,
        rows.map((r) => ({ ...r.holder, createdAt: at, updatedAt: at })),
      );
      await q.insertRelations(
        tx,
        rows.flatMap((r) => r.relations),
      );
      await insertRows(
        tx,
        'registry_history',
        ['entity', 'entity_id', 'action', 'changes', 'actor', 'at'],
        rows.map((r) => ['holder', r.holder.personNo, 'import', historyChanges, actor, at]),
      );
      await tx.run('UPDATE import_checkpoints SET committed_rows = ?, updated_at = ? WHERE import_id = ?', [
        done + rows.length,
        at,
        importId,
      ]);
      await appendAudit(tx, clock, {
        operatorId: actor,
        action: 'holder.import',
        subject: `file ${basename(path)}`,
        result: 'ok',
        details: {
          fromRow: done + 1,
          toRow: done + rows.length,
          lines: [rows[0]!.line, rows.at(-1)!.line],
        },
      });
    });
    done += rows.length;
    batches++;
    meter.update(done - resumedFrom);
  };
  const parser = new RowParser(now, relationPrefix);
  let inFlight: Promise<void> | undefined;
  let batch: ParsedRow[] = [];
  let index = 0;
  const stopped = () => options.stopAfterBatches !== undefined && batches >= options.stopAfterBatches;
  try {
    read: for await (const records of fileRecords(path, () => undefined)) {
      for (const record of records) {
        if (parser.header(record)) continue;
        const i = index++;
        if (i < resumedFrom) continue;
        try {
          batch.push(parser.row(record, i));
        } catch (e) {
          // Pass 1 accepted this row: the file was changed after it was checked.
          if (e instanceof DomainError)
            throw new DomainError('IMPORT_FILE_CHANGED', `line ${record.line} changed after the check`, 409);
          throw e;
        }
        if (batch.length >= batchSize) {
          await inFlight;
          if (stopped()) break read;
          inFlight = commit(batch);
          // Handled here so that a failed commit is thrown at the next `await inFlight`.
          inFlight.catch(() => undefined);
          batch = [];
        }
      }
    }
    await inFlight;
    inFlight = undefined;
    if (stopped()) return report(count, done - resumedFrom);
    if (batch.length > 0) await commit(batch);
  } finally {
    // A failed batch must not leave its commit running behind the caller's back.
    await inFlight?.catch(() => undefined);
  }
  await store.run('UPDATE import_checkpoints SET completed_at = ? WHERE import_id = ?', [
    clock().toISOString(),
    importId,
  ]);
  meter.done(
    `imported ${done - resumedFrom} rows${resumedFrom ? ` after ${resumedFrom} committed earlier` : ''}`,
  );
  return report(count, done - resumedFrom);
}
