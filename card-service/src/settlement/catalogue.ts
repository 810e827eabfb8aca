import { createReadStream } from 'node:fs';
import { parseYuan } from '@sscard/card-core';
import { type CatalogueItem, catalogueItemSchema, regionCode } from '@sscard/registry-protocol/settlement';
import { appendAudit } from '../audit/audit-log.js';
import { readCsv } from '../bulk-import/csv.js';
import { ProgressMeter } from '../bulk-import/progress.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { type Actor, auditActor } from '../registry/actor.js';
import type { Queryable, Store } from '../store/store.js';

/**
 * The catalogue of a region: drugs, services and materials with their class (A fully eligible,
 * B with a pre-self-pay share, C fully self-paid) and an optional price ceiling per unit. Loading
 * an item again replaces it; a bill line takes the item as it stood when the line was uploaded.
 */
const UPSERT = `INSERT INTO catalogue_items
  (region, item_code, name, item_class, pre_self_pay_share, price_ceiling, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (region, item_code) DO UPDATE SET name = excluded.name, item_class = excluded.item_class,
    pre_self_pay_share = excluded.pre_self_pay_share, price_ceiling = excluded.price_ceiling,
    updated_at = excluded.updated_at`;

export async function upsertItems(
  tx: Queryable,
  region: string,
  items: readonly CatalogueItem[],
  at: string,
): Promise<void> {
  for (const i of items) {
    await tx.run(UPSERT, [region, i.itemCode, i.name, i.itemClass, i.preSelfPayShare, i.priceCeiling, at]);
  }
}

export async function loadItems(
  store: Store,
  clock: Clock,
  region: string,
  items: readonly CatalogueItem[],
  actor: Actor,
): Promise<number> {
  return store.transaction(async (tx) => {
    await upsertItems(tx, region, items, clock().toISOString());
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'settlement.loadCatalogue',
      subject: `catalogue ${region}`,
      result: 'ok',
      details: { items: items.length },
    });
    return items.length;
  });
}

export const CATALOGUE_COLUMNS = [
  'item_code',
  'name',
  'item_class',
  'pre_self_pay_share',
  'price_ceiling_yuan',
];

export interface CatalogueImportReport {
  imported: number;
  errors: { line: number; reason: string }[];
}

const BATCH = 5000;
const MAX_ERRORS = 1000;

/**
 * `sscard-service catalogue import REGION FILE.csv`: header
 * `item_code,name,item_class,pre_self_pay_share,price_ceiling_yuan` (share in basis points, ceiling
 * in yuan with at most two decimals, empty for none). Like the holder import, a file with any bad
 * row imports nothing; a clean one is loaded in batches, each a transaction, with the progress line
 * of the holder import.
 */
export async function importCatalogue(
  store: Store,
  clock: Clock,
  region: string,
  file: string,
  actor: Actor,
  say: (message: string) => void,
): Promise<CatalogueImportReport> {
  if (!regionCode.safeParse(region).success)
    throw new DomainError('USAGE', 'a six-digit region code expected', 2);
  const items: CatalogueItem[] = [];
  const errors: CatalogueImportReport['errors'] = [];
  const seen = new Map<string, number>();
  let header: string[] | undefined;
  const reading = new ProgressMeter('checking', say);
  for await (const record of readCsv(createReadStream(file, { encoding: 'utf8' }))) {
    if (header === undefined) {
      header = record.fields.map((f) => f.trim());
      const missing = CATALOGUE_COLUMNS.filter((c) => !header!.includes(c));
      if (missing.length > 0) {
        throw new DomainError('IMPORT_HEADER_INVALID', `the header lacks ${missing.join(', ')}`, 400);
      }
      continue;
    }
    const field = (name: string) => record.fields[header!.indexOf(name)]?.trim() ?? '';
    const bad = (reason: string) => {
      if (errors.length < MAX_ERRORS) errors.push({ line: record.line, reason });
    };
    let ceiling: number | null = null;
    try {
      ceiling = field('price_ceiling_yuan') === '' ? null : parseYuan(field('price_ceiling_yuan'));
    } catch (e) {
      bad(`price_ceiling_yuan: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const share = field('pre_self_pay_share');
    const parsed = catalogueItemSchema.safeParse({
      itemCode: field('item_code'),
      name: field('name'),
      itemClass: field('item_class'),
      preSelfPayShare: share === '' ? 0 : /^[0-9]+$/.test(share) ? Number(share) : Number.NaN,
      priceCeiling: ceiling,
    });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) bad(`${issue.path.join('.')}: ${issue.message}`);
      continue;
    }
    const earlier = seen.get(parsed.data.itemCode);
    if (earlier !== undefined) {
      bad(`item_code: ${parsed.data.itemCode} already on line ${earlier}`);
      continue;
    }
    seen.set(parsed.data.itemCode, record.line);
    items.push(parsed.data);
    reading.update(items.length);
  }
  if (header === undefined) throw new DomainError('IMPORT_HEADER_INVALID', 'the file is empty', 400);
  reading.done(`checked ${items.length + errors.length} rows`);
  if (errors.length > 0) return { imported: 0, errors };
  const loading = new ProgressMeter('loading', say, items.length);
  for (let i = 0; i < items.length; i += BATCH) {
    await loadItems(store, clock, region, items.slice(i, i + BATCH), actor);
    loading.update(Math.min(i + BATCH, items.length));
  }
  loading.done(`loaded ${items.length} items into the catalogue of ${region}`);
  return { imported: items.length, errors };
}
