import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Holder, InsuranceRelation, RelationStatus } from '../registry/model.js';
import * as q from '../registry/queries.js';
import type { Registry } from '../registry/registry.js';
import type { Store } from '../store/store.js';
import { readCsv } from './csv.js';

/**
 * Bulk import of holders from CSV, for a province's initial load (millions of rows).
 *
 * Policy: a file with any bad row imports nothing. Pass 1 streams the file and reports every bad
 * row (line number and reason), including ID numbers repeated in the file or already registered.
 * Only a clean file goes to pass 2, which streams it again and commits it in batches; each batch
 * commits with the checkpoint that counts it, so after a crash the same command resumes after the
 * last committed batch (the checkpoint is keyed by the file's SHA-256: an edited file starts over).
 *
 * Columns (header row, any order): id_number, name, ethnicity, region; optional person_no,
 * gender, birth_date, birthplace, relations. `relations` is `;`-separated
 * `scheme:insuredRegion:startDate[:paused:pauseDate]`, e.g. `310:330300:2010-01-01;110:330300:2010-01-01`.
 */
export const REQUIRED_COLUMNS = ['id_number', 'name', 'ethnicity', 'region'] as const;
export const OPTIONAL_COLUMNS = ['person_no', 'gender', 'birth_date', 'birthplace', 'relations'] as const;

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
  errors: RowError[];
  /** More bad rows existed than `errors` holds. */
  errorsTruncated: boolean;
}

export interface ImportOptions {
  batchSize?: number;
  maxReportedErrors?: number;
  progress?: (message: string) => void;
  /** For crash tests: stop after committing this many batches. */
  stopAfterBatches?: number;
}

interface ParsedRow {
  line: number;
  holder: Holder;
  relations: InsuranceRelation[];
}

type Columns = Record<string, number>;

function parseRelations(registry: Registry, personNo: string, text: string): InsuranceRelation[] {
  if (text.trim() === '') return [];
  return text.split(';').map((part) => {
    const [schemeCode = '', insuredRegion = '', startDate = '', status, pauseDate] = part.trim().split(':');
    return registry.relationFromInput(personNo, {
      schemeCode,
      insuredRegion,
      startDate,
      ...(status ? { status: status as RelationStatus } : {}),
      ...(pauseDate ? { pauseDate } : {}),
    });
  });
}

function toRow(registry: Registry, columns: Columns, fields: string[], line: number, now: Date): ParsedRow {
  const get = (name: string) => {
    const i = columns[name];
    return i === undefined ? undefined : (fields[i] ?? '').trim() || undefined;
  };
  const gender = get('gender');
  if (gender !== undefined && gender !== '1' && gender !== '2') {
    throw new DomainError('VALIDATION_FAILED', 'gender: 1 or 2 expected', 400);
  }
  const personNo = get('person_no');
  const birthDate = get('birth_date');
  const birthplace = get('birthplace');
  const holder = registry.holderFromInput(
    {
      idNumber: get('id_number') ?? '',
      name: get('name') ?? '',
      ethnicity: get('ethnicity') ?? '',
      region: get('region') ?? '',
      ...(personNo ? { personNo } : {}),
      ...(gender ? { gender: gender as '1' | '2' } : {}),
      ...(birthDate ? { birthDate } : {}),
      ...(birthplace ? { birthplace } : {}),
    },
    now,
  );
  if (personNo !== undefined && !/^[A-Za-z0-9]{4,32}$/.test(personNo)) {
    throw new DomainError('VALIDATION_FAILED', 'person_no: 4 to 32 letters or digits expected', 400);
  }
  // A person number from the file is stable across re-runs; a generated one is not, so the
  // resumed run derives it from the ID number instead of drawing a random one.
  if (personNo === undefined)
    holder.personNo = `P${createHash('sha256').update(holder.idNumber).digest('hex').slice(0, 16).toUpperCase()}`;
  const relations = parseRelations(registry, holder.personNo, get('relations') ?? '');
  relations.forEach((r, i) => {
    r.relationId = `R${createHash('sha256').update(`${holder.personNo}:${i}`).digest('hex').slice(0, 16).toUpperCase()}`;
  });
  return { line, holder, relations };
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* rows(
  registry: Registry,
  path: string,
  now: Date,
  onError: (e: RowError) => void,
): AsyncGenerator<ParsedRow> {
  let columns: Columns | undefined;
  for await (const record of readCsv(createReadStream(path))) {
    if (!columns) {
      columns = {};
      record.fields.forEach((name, i) => {
        columns![name.trim().toLowerCase()] = i;
      });
      const missing = REQUIRED_COLUMNS.filter((c) => columns![c] === undefined);
      if (missing.length > 0) {
        throw new DomainError(
          'IMPORT_HEADER_INVALID',
          `the header lacks the columns ${missing.join(', ')}`,
          400,
        );
      }
      continue;
    }
    try {
      yield toRow(registry, columns, record.fields, record.line, now);
    } catch (e) {
      if (e instanceof DomainError) onError({ line: record.line, reason: e.message });
      else throw e;
    }
  }
  if (!columns) throw new DomainError('IMPORT_HEADER_INVALID', 'the file is empty', 400);
}

/** 64-bit fingerprint of an ID number: duplicates in a 10-million-row file are found in 80 MB. */
function fingerprint(idNumber: string): bigint {
  return createHash('sha256').update(idNumber).digest().readBigUInt64BE(0);
}

export async function importHolders(
  store: Store,
  registry: Registry,
  clock: Clock,
  path: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 1000;
  const maxErrors = options.maxReportedErrors ?? 1000;
  const progress = options.progress ?? (() => undefined);
  const now = clock();
  const importId = await fileSha256(path);
  const errors: RowError[] = [];
  let errorCount = 0;
  const addError = (e: RowError) => {
    errorCount++;
    if (errors.length < maxErrors) errors.push(e);
  };
  const checkpoint = await store.get<{ committed_rows: number; completed_at: string | null }>(
    'SELECT committed_rows, completed_at FROM import_checkpoints WHERE import_id = ?',
    [importId],
  );
  const resumedFrom = Number(checkpoint?.committed_rows ?? 0);
  const report = (rows: number, imported: number): ImportReport => ({
    file: basename(path),
    importId,
    rows,
    imported,
    resumedFrom,
    errors: errors.sort((a, b) => a.line - b.line),
    errorsTruncated: errorCount > errors.length,
  });

  // Pass 1: every row checked; nothing written.
  let fingerprints = new BigUint64Array(1 << 16);
  let count = 0;
  let batch: ParsedRow[] = [];
  const checkBatch = async () => {
    const existing = await q.existingHolderKeys(
      store,
      batch.map((r) => r.holder.idNumber),
      batch.map((r) => r.holder.personNo),
    );
    for (const r of batch) {
      // Rows an interrupted run committed are expected to exist already.
      if (resumedFrom > 0) continue;
      if (existing.idNumbers.has(r.holder.idNumber))
        addError({ line: r.line, reason: 'idNumber: already registered' });
      else if (existing.personNos.has(r.holder.personNo))
        addError({ line: r.line, reason: 'person_no: already registered' });
    }
    batch = [];
  };
  for await (const row of rows(registry, path, now, addError)) {
    if (count === fingerprints.length) {
      const grown = new BigUint64Array(fingerprints.length * 2);
      grown.set(fingerprints);
      fingerprints = grown;
    }
    fingerprints[count++] = fingerprint(row.holder.idNumber);
    batch.push(row);
    if (batch.length >= batchSize) await checkBatch();
    if (count % 100_000 === 0) progress(`checked ${count} rows`);
  }
  if (batch.length > 0) await checkBatch();
  const duplicates = new Set<bigint>();
  const sorted = fingerprints.slice(0, count).sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) duplicates.add(sorted[i]!);
  if (duplicates.size > 0) {
    // Confirm on the values themselves: a shared fingerprint is not yet a shared ID number.
    const firstLine = new Map<string, number>();
    for await (const row of rows(registry, path, now, () => undefined)) {
      if (!duplicates.has(fingerprint(row.holder.idNumber))) continue;
      const seen = firstLine.get(row.holder.idNumber);
      if (seen === undefined) firstLine.set(row.holder.idNumber, row.line);
      else addError({ line: row.line, reason: `idNumber: repeats line ${seen}` });
    }
  }
  progress(`checked ${count} rows, ${errorCount} bad`);
  if (errorCount > 0) return report(count + errorCount, 0);
  if (checkpoint?.completed_at) return report(count, 0);

  // Pass 2: batches, each committed with its checkpoint.
  const startedAt = now.toISOString();
  if (!checkpoint) {
    await store.run(
      `INSERT INTO import_checkpoints (import_id, file_name, total_rows, committed_rows, started_at, updated_at)
       VALUES (?, ?, ?, 0, ?, ?)`,
      [importId, basename(path), count, startedAt, startedAt],
    );
  }
  let done = resumedFrom;
  let index = 0;
  let batches = 0;
  batch = [];
  const commit = async () => {
    const rowsToWrite = batch;
    batch = [];
    await store.transaction(async (tx) => {
      const at = clock().toISOString();
      for (let i = 0; i < rowsToWrite.length; i += 500) {
        const slice = rowsToWrite.slice(i, i + 500);
        await q.insertHolders(
          tx,
          slice.map((r) => ({ ...r.holder, createdAt: at, updatedAt: at })),
        );
        const relations = slice.flatMap((r) => r.relations);
        for (let j = 0; j < relations.length; j += 500)
          await q.insertRelations(tx, relations.slice(j, j + 500));
        await tx.run(
          `INSERT INTO registry_history (entity, entity_id, action, changes, actor, at) VALUES ${slice.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
          slice.flatMap((r) => [
            'holder',
            r.holder.personNo,
            'import',
            JSON.stringify({ importId }),
            `import:${importId.slice(0, 16)}`,
            at,
          ]),
        );
      }
      await tx.run('UPDATE import_checkpoints SET committed_rows = ?, updated_at = ? WHERE import_id = ?', [
        done + rowsToWrite.length,
        at,
        importId,
      ]);
      await appendAudit(tx, clock, {
        operatorId: `import:${importId.slice(0, 16)}`,
        action: 'holder.import',
        subject: `file ${basename(path)}`,
        result: 'ok',
        details: {
          fromRow: done + 1,
          toRow: done + rowsToWrite.length,
          lines: [rowsToWrite[0]!.line, rowsToWrite.at(-1)!.line],
        },
      });
    });
    done += rowsToWrite.length;
    batches++;
    progress(`imported ${done} of ${count} rows`);
  };
  for await (const row of rows(registry, path, now, () => undefined)) {
    if (index++ < resumedFrom) continue;
    batch.push(row);
    if (batch.length >= batchSize) {
      await commit();
      if (options.stopAfterBatches !== undefined && batches >= options.stopAfterBatches)
        return report(count, done - resumedFrom);
    }
  }
  if (batch.length > 0) await commit();
  await store.run('UPDATE import_checkpoints SET completed_at = ? WHERE import_id = ?', [
    clock().toISOString(),
    importId,
  ]);
  return report(count, done - resumedFrom);
}
