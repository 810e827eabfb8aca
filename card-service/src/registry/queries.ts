import { insertRows } from '../store/bulk-insert.js';
import { type Dialect, type Queryable, forUpdate, inJsonArray } from '../store/store.js';
import type { Card, CardStatus, HistoryEntry, Holder, InsuranceRelation } from './model.js';

/** Typed queries of the registry: rows in and out of the store, nothing else. */

interface HolderRow {
  person_no: string;
  id_number: string;
  name: string;
  gender: '1' | '2';
  ethnicity: string;
  birth_date: string;
  birthplace: string;
  region: string;
  created_at: string;
  updated_at: string;
}

const HOLDER_COLUMNS =
  'person_no, id_number, name, gender, ethnicity, birth_date, birthplace, region, created_at, updated_at';

const holderFromRow = (r: HolderRow): Holder => ({
  personNo: r.person_no,
  idNumber: r.id_number,
  name: r.name,
  gender: r.gender,
  ethnicity: r.ethnicity,
  birthDate: r.birth_date,
  birthplace: r.birthplace,
  region: r.region,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const HOLDER_COLUMN_LIST = HOLDER_COLUMNS.split(', ');

export const holderValues = (h: Holder): string[] => [
  h.personNo,
  h.idNumber,
  h.name,
  h.gender,
  h.ethnicity,
  h.birthDate,
  h.birthplace,
  h.region,
  h.createdAt,
  h.updatedAt,
];

/** Any number of holders in one statement (the bulk import sends tens of thousands at a time). */
export async function insertHolders(tx: Queryable, holders: readonly Holder[]): Promise<void> {
  await insertRows(tx, 'holders', HOLDER_COLUMN_LIST, holders.map(holderValues));
}

export async function getHolder(tx: Queryable, personNo: string): Promise<Holder | undefined> {
  const row = await tx.get<HolderRow>(`SELECT ${HOLDER_COLUMNS} FROM holders WHERE person_no = ?`, [
    personNo,
  ]);
  return row && holderFromRow(row);
}

export async function getHolderByIdNumber(tx: Queryable, idNumber: string): Promise<Holder | undefined> {
  const row = await tx.get<HolderRow>(`SELECT ${HOLDER_COLUMNS} FROM holders WHERE id_number = ?`, [
    idNumber,
  ]);
  return row && holderFromRow(row);
}

/**
 * Which of these ID numbers or person numbers already exist (bulk import looks them up per batch).
 * Each list travels as one JSON array, so one prepared statement serves every batch size.
 */
export async function existingHolderKeys(
  tx: Queryable,
  idNumbers: readonly string[],
  personNos: readonly string[],
): Promise<{ idNumbers: Set<string>; personNos: Set<string> }> {
  const list =
    tx.dialect === 'sqlite' ? 'SELECT value FROM json_each(?)' : 'SELECT json_array_elements_text(?::json)';
  const [ids, pns] = await Promise.all([
    idNumbers.length === 0
      ? []
      : tx.all<{ id_number: string }>(`SELECT id_number FROM holders WHERE id_number IN (${list})`, [
          JSON.stringify(idNumbers),
        ]),
    personNos.length === 0
      ? []
      : tx.all<{ person_no: string }>(`SELECT person_no FROM holders WHERE person_no IN (${list})`, [
          JSON.stringify(personNos),
        ]),
  ]);
  return { idNumbers: new Set(ids.map((r) => r.id_number)), personNos: new Set(pns.map((r) => r.person_no)) };
}

export async function updateHolderRow(tx: Queryable, h: Holder): Promise<void> {
  await tx.run(
    `UPDATE holders SET name = ?, gender = ?, ethnicity = ?, birth_date = ?, birthplace = ?, region = ?, updated_at = ?
     WHERE person_no = ?`,
    [h.name, h.gender, h.ethnicity, h.birthDate, h.birthplace, h.region, h.updatedAt, h.personNo],
  );
}

interface RelationRow {
  relation_id: string;
  person_no: string;
  scheme_code: string;
  insured_region: string;
  status: InsuranceRelation['status'];
  start_date: string;
  pause_date: string | null;
  card_number: string | null;
}

const RELATION_COLUMNS =
  'relation_id, person_no, scheme_code, insured_region, status, start_date, pause_date, card_number';

const relationFromRow = (r: RelationRow): InsuranceRelation => ({
  relationId: r.relation_id,
  personNo: r.person_no,
  schemeCode: r.scheme_code,
  insuredRegion: r.insured_region,
  status: r.status,
  startDate: r.start_date,
  pauseDate: r.pause_date,
  cardNumber: r.card_number,
});

export const relationValues = (r: InsuranceRelation): (string | null)[] => [
  r.relationId,
  r.personNo,
  r.schemeCode,
  r.insuredRegion,
  r.status,
  r.startDate,
  r.pauseDate,
  r.cardNumber,
];

/** Any number of relations in one statement. */
export async function insertRelations(tx: Queryable, relations: readonly InsuranceRelation[]): Promise<void> {
  await insertRows(tx, 'insurance_relations', RELATION_COLUMNS.split(', '), relations.map(relationValues));
}

export async function listRelations(tx: Queryable, personNo: string): Promise<InsuranceRelation[]> {
  const rows = await tx.all<RelationRow>(
    `SELECT ${RELATION_COLUMNS} FROM insurance_relations WHERE person_no = ? ORDER BY scheme_code, insured_region`,
    [personNo],
  );
  return rows.map(relationFromRow);
}

export async function getRelation(tx: Queryable, relationId: string): Promise<InsuranceRelation | undefined> {
  const row = await tx.get<RelationRow>(
    `SELECT ${RELATION_COLUMNS} FROM insurance_relations WHERE relation_id = ?`,
    [relationId],
  );
  return row && relationFromRow(row);
}

export async function updateRelationRow(tx: Queryable, r: InsuranceRelation): Promise<void> {
  await tx.run(
    'UPDATE insurance_relations SET status = ?, pause_date = ?, card_number = ? WHERE relation_id = ?',
    [r.status, r.pauseDate, r.cardNumber, r.relationId],
  );
}

/** Rebinds every relation of one card to another: the replacement card carries them from now on. */
export async function moveRelations(tx: Queryable, fromCard: string, toCard: string): Promise<number> {
  return (
    await tx.run('UPDATE insurance_relations SET card_number = ? WHERE card_number = ?', [toCard, fromCard])
  ).changes;
}

interface CardRow {
  card_number: string;
  card_id_code: string;
  person_no: string;
  spec_version: string;
  card_type: string;
  algorithm: Card['algorithm'];
  issuing_region: string;
  init_org: string;
  issue_date: string;
  expiry_date: string;
  status: CardStatus;
  social_security_active: number;
  financial_active: number;
  temporary: number;
  temporary_loss_until: string | null;
  replaces: string | null;
  replaced_by: string | null;
  status_changed_at: string;
  created_at: string;
}

const CARD_COLUMNS =
  'card_number, card_id_code, person_no, spec_version, card_type, algorithm, issuing_region, init_org, issue_date, ' +
  'expiry_date, status, social_security_active, financial_active, temporary, temporary_loss_until, replaces, ' +
  'replaced_by, status_changed_at, created_at';

const CARD_COLUMN_LIST = CARD_COLUMNS.split(', ');

/**
 * The card's columns of table alias `alias`, named `<alias>_<column>`, for a query that reads the
 * card together with rows it belongs to (a settlement step reads visit, card and coverage in one
 * statement); `cardFromJoinedRow` reads them back.
 */
export const joinedCardColumns = (alias: string): string =>
  CARD_COLUMN_LIST.map((c) => `${alias}.${c} AS ${alias}_${c}`).join(', ');

/** The card read by `joinedCardColumns(alias)`, or undefined when the join found none. */
export function cardFromJoinedRow(row: object, alias: string): Card | undefined {
  const joined = row as Record<string, unknown>;
  if (joined[`${alias}_card_number`] == null) return undefined;
  const r: Record<string, unknown> = {};
  for (const c of CARD_COLUMN_LIST) r[c] = joined[`${alias}_${c}`];
  return cardFromRow(r as unknown as CardRow);
}

const cardFromRow = (r: CardRow): Card => ({
  cardNumber: r.card_number,
  cardIdCode: r.card_id_code,
  personNo: r.person_no,
  specVersion: r.spec_version,
  cardType: r.card_type,
  algorithm: r.algorithm,
  issuingRegion: r.issuing_region,
  initOrg: r.init_org,
  issueDate: r.issue_date,
  expiryDate: r.expiry_date,
  status: r.status,
  socialSecurityActive: Number(r.social_security_active) === 1,
  financialActive: Number(r.financial_active) === 1,
  temporary: Number(r.temporary) === 1,
  temporaryLossUntil: r.temporary_loss_until,
  replaces: r.replaces,
  replacedBy: r.replaced_by,
  statusChangedAt: r.status_changed_at,
  createdAt: r.created_at,
});

const cardValues = (c: Card): (string | number | null)[] => [
  c.cardNumber,
  c.cardIdCode,
  c.personNo,
  c.specVersion,
  c.cardType,
  c.algorithm,
  c.issuingRegion,
  c.initOrg,
  c.issueDate,
  c.expiryDate,
  c.status,
  c.socialSecurityActive ? 1 : 0,
  c.financialActive ? 1 : 0,
  c.temporary ? 1 : 0,
  c.temporaryLossUntil,
  c.replaces,
  c.replacedBy,
  c.statusChangedAt,
  c.createdAt,
];

export async function insertCard(tx: Queryable, card: Card): Promise<void> {
  await tx.run(
    `INSERT INTO cards (${CARD_COLUMNS}) VALUES (${Array(19).fill('?').join(', ')})`,
    cardValues(card),
  );
}

export async function getCard(tx: Queryable, cardNumber: string, lock = false): Promise<Card | undefined> {
  const row = await tx.get<CardRow>(
    `SELECT ${CARD_COLUMNS} FROM cards WHERE card_number = ?${lock ? forUpdate(tx.dialect) : ''}`,
    [cardNumber],
  );
  return row && cardFromRow(row);
}

export async function getCardByIdCode(tx: Queryable, cardIdCode: string): Promise<Card | undefined> {
  const row = await tx.get<CardRow>(`SELECT ${CARD_COLUMNS} FROM cards WHERE card_id_code = ?`, [
    cardIdCode.toUpperCase(),
  ]);
  return row && cardFromRow(row);
}

export async function listCardsOfHolder(tx: Queryable, personNo: string): Promise<Card[]> {
  const rows = await tx.all<CardRow>(
    `SELECT ${CARD_COLUMNS} FROM cards WHERE person_no = ? ORDER BY created_at, card_number`,
    [personNo],
  );
  return rows.map(cardFromRow);
}

export async function updateCardRow(tx: Queryable, c: Card): Promise<void> {
  await tx.run(
    `UPDATE cards SET status = ?, social_security_active = ?, financial_active = ?, temporary_loss_until = ?,
       replaced_by = ?, status_changed_at = ?, expiry_date = ? WHERE card_number = ?`,
    [
      c.status,
      c.socialSecurityActive ? 1 : 0,
      c.financialActive ? 1 : 0,
      c.temporaryLossUntil,
      c.replacedBy,
      c.statusChangedAt,
      c.expiryDate,
      c.cardNumber,
    ],
  );
}

export async function recordHistory(tx: Queryable, entry: Omit<HistoryEntry, 'id'>): Promise<void> {
  await tx.run(
    'INSERT INTO registry_history (entity, entity_id, action, changes, actor, at) VALUES (?, ?, ?, ?, ?, ?)',
    [entry.entity, entry.entityId, entry.action, JSON.stringify(entry.changes), entry.actor, entry.at],
  );
}

export async function listHistory(
  tx: Queryable,
  entity: HistoryEntry['entity'],
  entityId: string,
): Promise<HistoryEntry[]> {
  const rows = await tx.all<{
    id: number;
    entity: HistoryEntry['entity'];
    entity_id: string;
    action: string;
    changes: string;
    actor: string;
    at: string;
  }>(
    'SELECT id, entity, entity_id, action, changes, actor, at FROM registry_history WHERE entity = ? AND entity_id = ? ORDER BY id',
    [entity, entityId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    entity: r.entity,
    entityId: r.entity_id,
    action: r.action,
    changes: JSON.parse(r.changes) as Record<string, unknown>,
    actor: r.actor,
    at: r.at,
  }));
}

/** Field-by-field difference `{field: [before, after]}` for the history table. */
export function diff<T extends object>(before: T, after: T): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (before[key] !== after[key]) out[key as string] = [before[key], after[key]];
  }
  return out;
}

/** What an identity check reads of a card, its holder and the holder's insurance relations. */
export interface IdentityRecord {
  card: Pick<
    Card,
    | 'cardNumber'
    | 'personNo'
    | 'status'
    | 'specVersion'
    | 'issuingRegion'
    | 'expiryDate'
    | 'temporary'
    | 'temporaryLossUntil'
    | 'statusChangedAt'
  >;
  holder: Pick<Holder, 'personNo' | 'idNumber' | 'name' | 'gender' | 'region'> | undefined;
  relations: Pick<InsuranceRelation, 'schemeCode' | 'insuredRegion' | 'status' | 'startDate' | 'pauseDate'>[];
}

/** An identity record as its document (`identityDocsSql`): JSON, the same on both engines. */
interface IdentityDocument {
  card: Omit<IdentityRecord['card'], 'temporary'> & { temporary: number };
  holder: NonNullable<IdentityRecord['holder']> | null;
  relations: IdentityRecord['relations'];
}

/** The document's fields: JSON key and SQL expression, the same on both engines. */
const CARD_FIELDS = [
  ['cardNumber', 'c.card_number'],
  ['personNo', 'c.person_no'],
  ['status', 'c.status'],
  ['specVersion', 'c.spec_version'],
  ['issuingRegion', 'c.issuing_region'],
  ['expiryDate', 'c.expiry_date'],
  ['temporary', 'c.temporary'],
  ['temporaryLossUntil', 'c.temporary_loss_until'],
  ['statusChangedAt', 'c.status_changed_at'],
] as const;
const HOLDER_FIELDS = [
  ['personNo', 'h.person_no'],
  ['idNumber', 'h.id_number'],
  ['name', 'h.name'],
  ['gender', 'h.gender'],
  ['region', 'h.region'],
] as const;
const RELATION_FIELDS = [
  ['schemeCode', 'r.scheme_code'],
  ['insuredRegion', 'r.insured_region'],
  ['status', 'r.status'],
  ['startDate', 'r.start_date'],
  ['pauseDate', 'r.pause_date'],
] as const;

/**
 * The identity records of the cards whose identification codes (upper case) are in a JSON array
 * parameter, one row each: `key` is the code, `doc` the card, its holder and its relations as
 * one JSON document. A document is one column to hand over, where separate columns would each be
 * an object property the driver builds one at a time (and a card with two relations two rows).
 *
 * The card is found by its unique index, the holder by primary key and the relations through the
 * `(person_no, scheme_code, insured_region)` unique index, in that order. Holder and relations
 * are subqueries per card, so both engines look them up by index whatever their statistics say:
 * PostgreSQL plans a key array as 100 keys, and with statistics that lag behind a bulk load it
 * would otherwise hash the whole relations table.
 */
export function identityDocsSql(dialect: Dialect): string {
  const build = dialect === 'postgres' ? 'json_build_object' : 'json_object';
  const object = (fields: readonly (readonly [string, string])[]): string =>
    `${build}(${fields.map(([key, expr]) => `'${key}', ${expr}`).join(', ')})`;
  const relations =
    dialect === 'postgres'
      ? `coalesce(json_agg(${object(RELATION_FIELDS)} ORDER BY r.scheme_code, r.insured_region), '[]'::json)`
      : `json_group_array(${object(RELATION_FIELDS)} ORDER BY r.scheme_code, r.insured_region)`;
  return `SELECT c.card_id_code AS key, ${build}(
      'card', ${object(CARD_FIELDS)},
      'holder', (SELECT ${object(HOLDER_FIELDS)} FROM holders h WHERE h.person_no = c.person_no),
      'relations', (SELECT ${relations} FROM insurance_relations r WHERE r.person_no = c.person_no)
    ) AS doc
    FROM cards c
    WHERE ${inJsonArray(dialect, 'c.card_id_code')}`;
}

/** The record in a document of `identityDocsSql`. */
export function identityRecordFromDoc(doc: unknown): IdentityRecord {
  const { card, holder, relations } = doc as IdentityDocument;
  return {
    card: { ...card, temporary: Number(card.temporary) === 1 },
    holder: holder ?? undefined,
    relations,
  };
}
