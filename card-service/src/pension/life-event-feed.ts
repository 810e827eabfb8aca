import { createReadStream } from 'node:fs';
import { pension } from '@sscard/registry-protocol';
import { maskIdNumber } from '@sscard/card-core';
import { readCsv } from '../bulk-import/csv.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { getHolderByIdNumber } from '../registry/queries.js';
import { isCalendarDate } from '../registry/validation.js';
import type { Store } from '../store/store.js';
import { registerLifeEvent } from './life-events.js';

/** The feed's columns, in this order, as its first line. */
export const FEED_COLUMNS = ['id_number', 'kind', 'date', 'reference'] as const;

export interface FeedReport {
  /** Bad rows, by line; when there are any, nothing was registered. */
  errors: { line: number; reason: string }[];
  registered: number;
  /** Rows registered before (the same holder, kind and date). */
  known: number;
  alerts: number;
  amountToRecover: number;
}

/**
 * A death and imprisonment feed (civil affairs, courts) as CSV: every row is checked first (the
 * ID number of a registered holder, a kind, a calendar date), and only a file without a bad row is
 * registered, in one transaction, so a feed is applied whole or not at all. A feed sent again
 * registers nothing twice.
 */
export async function importLifeEventFeed(
  store: Store,
  clock: Clock,
  file: string,
  actor: Actor,
): Promise<FeedReport> {
  const report: FeedReport = { errors: [], registered: 0, known: 0, alerts: 0, amountToRecover: 0 };
  const rows: {
    line: number;
    personNo: string;
    kind: pension.LifeEventKind;
    date: string;
    reference?: string;
  }[] = [];
  let header = true;
  for await (const r of readCsv(createReadStream(file))) {
    if (header) {
      header = false;
      if (r.fields.join(',') !== FEED_COLUMNS.join(',')) {
        throw new DomainError('IMPORT_HEADER_INVALID', `the first line must be ${FEED_COLUMNS.join(',')}`);
      }
      continue;
    }
    const [idNumber = '', kind = '', date = '', reference = ''] = r.fields;
    const bad = (reason: string) => report.errors.push({ line: r.line, reason });
    if (r.fields.length !== FEED_COLUMNS.length) {
      bad(`${FEED_COLUMNS.length} fields expected, ${r.fields.length} found`);
      continue;
    }
    if (!(pension.LIFE_EVENT_KINDS as readonly string[]).includes(kind)) {
      bad(`kind: one of ${pension.LIFE_EVENT_KINDS.join(', ')} expected`);
      continue;
    }
    if (!isCalendarDate(date)) {
      bad('date: a calendar date YYYY-MM-DD expected');
      continue;
    }
    const holder = await getHolderByIdNumber(store, idNumber);
    if (!holder) {
      bad(`no holder with ID number ${maskIdNumber(idNumber)}`);
      continue;
    }
    rows.push({
      line: r.line,
      personNo: holder.personNo,
      kind: kind as pension.LifeEventKind,
      date,
      ...(reference ? { reference } : {}),
    });
  }
  if (report.errors.length > 0) return report;
  await store.transaction(async (tx) => {
    for (const row of rows) {
      const { line, ...input } = row;
      const done = await registerLifeEvent(tx, clock, input, 'feed', actor).catch((e: unknown) => {
        if (e instanceof DomainError)
          throw new DomainError(e.code, `line ${line}: ${e.message}`, e.status, e.details);
        throw e;
      });
      if (done.replayed) report.known++;
      else report.registered++;
      report.alerts += done.alerts.length;
      report.amountToRecover += done.alerts.reduce((s, a) => s + (a.amountToRecover ?? 0), 0);
    }
  });
  return report;
}
