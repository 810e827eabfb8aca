import { createHash, randomUUID } from 'node:crypto';
import {
  type Accumulators,
  type Breakdown,
  type PricedLine,
  type PublishedPolicy,
  type Quote,
  type SchemeCode,
  type SettlementRefusal,
  type Settlement,
  type Visit,
  type VisitType,
  breakdownSchema,
} from '@sscard/registry-protocol/settlement';
import { type TimedAuditInput, appendAudit, appendAuditBatch, deferAudit } from '../audit/audit-log.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { canonicalJson } from '../audit/canonical-json.js';
import { type Clock, chinaDate } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import type { CardPresence, CryptogramVerdict, IssuedChallenge } from '../card-auth/card-presence.js';
import { storeResult, storedResult } from '../registry/idempotency.js';
import type { Card } from '../registry/model.js';
import { cardFromJoinedRow, joinedCardColumns } from '../registry/queries.js';
import { cardSubject } from '../registry/subjects.js';
import { RiskChecks, blocking } from '../risk/risk-checks.js';
import { insertRows } from '../store/bulk-insert.js';
import {
  type Dialect,
  type Queryable,
  type SqlValue,
  type Store,
  forUpdate,
  inJsonArray,
} from '../store/store.js';
import {
  accumulatorColumns,
  joinedAccumulators,
  moveAccumulators,
  moveAccumulatorsFrom,
} from './accumulators.js';
import { accumulatorDelta, calculate, identitiesHold } from './calculation.js';
import { institutionOfTerminal, noInstitution } from './institutions.js';
import { account, post } from './ledger.js';
import { policyVersion } from './policies.js';
import { REPLAY_INPUT_COLUMNS, replayInputRow } from './replay-inputs.js';

/**
 * The settlement flow of a hospital or pharmacy desk: register a visit (2201), upload bill lines
 * (2204), pre-settle (2206, a quote with the challenge its settle's proof answers; nothing moves),
 * settle (2207, with the card's payment proof), cancel (2208), reverse an attempt whose answer was
 * lost (2601), and the status of an attempt.
 *
 * Every request runs in one transaction with its idempotency key: a retry with the same key
 * returns the stored answer and changes nothing again. A settlement posts its ledger entries,
 * advances the accumulators and records the attempt in that same transaction, so after a crash
 * either all of it is there (and the retry replays it) or none of it is.
 */
export interface Caller {
  terminalId: string;
  /** The terminal's idempotency key for this request. */
  key: string;
}

/** A refusal that must still commit (a payment proof refused has spent its challenge). */
class Refusal {
  constructor(readonly error: DomainError) {}
}

/** Thrown to undo a retry's refusal: the request's key was answered before, and that answer is replayed. */
class Answered extends Error {}

const refused = (code: SettlementRefusal, message: string, status = 409, details?: Record<string, unknown>) =>
  new DomainError(code, message, status, details);

const sha256 = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex');

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err.code === '23505' || (err.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/.test(err.message ?? ''))
  );
}

interface VisitRow {
  visit_id: string;
  terminal_id: string;
  institution_id: string;
  treatment_region: string;
  card_number: string;
  person_no: string;
  scheme: SchemeCode;
  insured_region: string;
  person_group: Visit['personGroup'];
  visit_type: VisitType;
  hospital_level: number | string;
  his_visit_no: string;
  registered_at: string;
}

const VISIT_COLUMNS = `v.visit_id, v.terminal_id, v.institution_id, v.treatment_region, v.card_number, v.person_no,
  v.scheme, v.insured_region, v.person_group, v.visit_type, v.hospital_level, v.his_visit_no, v.registered_at`;

const visitFromRow = (r: VisitRow): Visit => ({
  visitId: r.visit_id,
  cardNumber: r.card_number,
  personNo: r.person_no,
  scheme: r.scheme,
  visitType: r.visit_type,
  hisVisitNo: r.his_visit_no,
  institutionId: r.institution_id,
  hospitalLevel: Number(r.hospital_level) as Visit['hospitalLevel'],
  personGroup: r.person_group,
  insuredRegion: r.insured_region,
  treatmentRegion: r.treatment_region,
  crossRegion: r.insured_region !== r.treatment_region,
  registeredAt: r.registered_at,
});

/**
 * The reads of the settlement steps, each one statement: what a step checks and calculates from
 * is read together, so that a step costs the store few round trips (on sqlite3 every statement is
 * a trip to the thread pool and back, on PostgreSQL one to the server).
 */
interface RegisterRow {
  institution_id: string;
  region: string;
  level: number | string;
  insured_region: string | null;
  person_group: Visit['personGroup'] | null;
  coverage_paused: number | string;
}

/**
 * The caller's institution (no row: the terminal settles for none), the card (`c_…`, null when
 * unknown), the holder's latest active coverage under the scheme, and whether one is paused.
 */
const REGISTER_SELECT = `SELECT i.institution_id, i.region, i.level, ${joinedCardColumns('c')},
    r.insured_region, r.person_group,
    CASE WHEN EXISTS (SELECT 1 FROM insurance_relations p WHERE p.person_no = c.person_no AND p.scheme_code = ?
      AND p.status = 'paused') THEN 1 ELSE 0 END AS coverage_paused
  FROM institution_terminals t JOIN institutions i ON i.institution_id = t.institution_id
  LEFT JOIN cards c ON c.card_number = ?
  LEFT JOIN insurance_relations r ON r.relation_id = (SELECT a.relation_id FROM insurance_relations a
    WHERE a.person_no = c.person_no AND a.scheme_code = ? AND a.status = 'active' ORDER BY a.start_date DESC LIMIT 1)
  WHERE t.terminal_id = ?`;

interface StandingRow {
  /** A settlement of the visit that was neither cancelled nor reversed. */
  standing_settlement_id: string | null;
}

const STANDING_SETTLEMENT = `(SELECT s.settlement_id FROM settlements s
    LEFT JOIN settlement_endings e ON e.settlement_id = s.settlement_id
    WHERE s.visit_id = v.visit_id AND e.settlement_id IS NULL LIMIT 1) AS standing_settlement_id`;

interface CoverageRow {
  coverage_active: number | string;
  coverage_paused: number | string;
}

const hasCoverage = (status: 'active' | 'paused') =>
  `CASE WHEN EXISTS (SELECT 1 FROM insurance_relations r WHERE r.person_no = v.person_no
    AND r.scheme_code = v.scheme AND r.status = '${status}') THEN 1 ELSE 0 END AS coverage_${status}`;

/** The visit's card (`c_…`) and whether its holder is still covered: pre-settle and settle check both. */
const CARD_AND_COVERAGE = `${joinedCardColumns('c')}, ${hasCoverage('active')}, ${hasCoverage('paused')}`;

/** The visit of the caller's institution (last parameters: terminal, visit). */
const VISIT_OF_INSTITUTION = `FROM settlement_visits v
  JOIN institution_terminals t ON t.institution_id = v.institution_id AND t.terminal_id = ?`;

/** A statement's text for each engine. */
const perDialect = (sql: (dialect: Dialect) => string): Record<Dialect, string> => ({
  postgres: sql('postgres'),
  sqlite: sql('sqlite'),
});

/** Locks the visit's row alone (PostgreSQL; sqlite3 has one writer at a time). */
const lockVisit = (dialect: Dialect) => (dialect === 'postgres' ? ' FOR UPDATE OF v' : '');

interface BillLinesRow {
  /** The visit's bill lines in line order, as JSON arrays of `LINE_FIELDS` (sqlite3: JSON text; PostgreSQL: parsed). */
  bill_lines: string | unknown[][] | null;
}

const LINE_FIELDS =
  'l.line_no, l.item_code, l.unit_price, l.quantity, l.item_class, l.pre_self_pay_share, l.price_ceiling';

const billLines = (dialect: Dialect) =>
  `(SELECT ${dialect === 'postgres' ? 'json_agg(json_build_array' : 'json_group_array(json_array'}(${LINE_FIELDS})
    ORDER BY l.line_no) FROM settlement_bill_lines l WHERE l.visit_id = v.visit_id) AS bill_lines`;

function linesOf(row: BillLinesRow): LineRow[] {
  const tuples = (typeof row.bill_lines === 'string' ? JSON.parse(row.bill_lines) : row.bill_lines) ?? [];
  return (tuples as LineTuple[]).map(
    ([line_no, item_code, unit_price, quantity, item_class, pre_self_pay_share, price_ceiling]) => ({
      line_no,
      item_code,
      unit_price,
      quantity,
      item_class,
      pre_self_pay_share,
      price_ceiling,
    }),
  );
}

type LineTuple = [
  LineRow['line_no'],
  LineRow['item_code'],
  LineRow['unit_price'],
  LineRow['quantity'],
  LineRow['item_class'],
  LineRow['pre_self_pay_share'],
  LineRow['price_ceiling'],
];

interface CatalogueRow {
  /**
   * The treatment region's catalogue entries of the request's item codes, as JSON arrays of
   * `ITEM_FIELDS` (sqlite3: JSON text; PostgreSQL: parsed); codes not in the catalogue are absent.
   */
  catalogue_items: string | unknown[][] | null;
}

const ITEM_FIELDS = 'ci.item_code, ci.item_class, ci.pre_self_pay_share, ci.price_ceiling';

const catalogueItems = (dialect: Dialect) =>
  `(SELECT ${dialect === 'postgres' ? 'json_agg(json_build_array' : 'json_group_array(json_array'}(${ITEM_FIELDS}))
    FROM catalogue_items ci WHERE ci.region = v.treatment_region AND ${inJsonArray(dialect, 'ci.item_code')})
    AS catalogue_items`;

/** What a bill line takes from its catalogue item, as it stood when the line was uploaded. */
interface LinePricing {
  itemClass: PricedLine['itemClass'];
  preSelfPayShare: number;
  priceCeiling: number | null;
}

function catalogueOf(row: CatalogueRow): Map<string, LinePricing> {
  const tuples =
    (typeof row.catalogue_items === 'string' ? JSON.parse(row.catalogue_items) : row.catalogue_items) ?? [];
  return new Map(
    (tuples as [string, PricedLine['itemClass'], number | string, number | string | null][]).map(
      ([itemCode, itemClass, share, ceiling]) => [
        itemCode,
        {
          itemClass,
          preSelfPayShare: Number(share),
          priceCeiling: ceiling === null ? null : Number(ceiling),
        },
      ],
    ),
  );
}

/**
 * 2204: the visit locked (lines are numbered against what is there), whether it stands settled,
 * the lines it has, and the catalogue entries of the request's items in its treatment region.
 * Parameters: the item codes (a JSON array), terminal, visit.
 */
const BILL_VISIT_SELECT = perDialect(
  (d) =>
    `SELECT ${VISIT_COLUMNS}, ${STANDING_SETTLEMENT}, ${billLines(d)}, ${catalogueItems(d)}
    ${VISIT_OF_INSTITUTION} WHERE v.visit_id = ?${lockVisit(d)}`,
);

interface PreSettleRow extends StandingRow, CoverageRow, BillLinesRow {
  policy_version: number | string | null;
  outpatient_deductible_paid: number | string | null;
  pooled_fund_used: number | string | null;
  large_expense_deductible_paid: number | string | null;
  large_expense_fund_used: number | string | null;
  balance: number | string | null;
}

/**
 * 2206: the visit, whether it stands settled, card and coverage, its bill lines, the policy version in force (its
 * parameters never change once published: they come from the engine's copy), the year's
 * accumulators and the personal account's balance. Parameters: year, date, terminal, year, visit.
 */
const PRE_SETTLE_SELECT = perDialect(
  (d) => `SELECT ${VISIT_COLUMNS}, ${STANDING_SETTLEMENT}, ${CARD_AND_COVERAGE}, ${billLines(d)},
    (SELECT p.version FROM settlement_policies p WHERE p.region = v.insured_region AND p.scheme = v.scheme
      AND p.year = ? AND p.effective_from <= ? ORDER BY p.version DESC LIMIT 1) AS policy_version,
    ${accumulatorColumns('a')},
    (SELECT pa.balance FROM personal_accounts pa WHERE pa.person_no = v.person_no) AS balance
  ${VISIT_OF_INSTITUTION}
  LEFT JOIN cards c ON c.card_number = v.card_number
  LEFT JOIN settlement_accumulators a ON a.person_no = v.person_no AND a.scheme = v.scheme
    AND a.insured_region = v.insured_region AND a.year = ?
  WHERE v.visit_id = ?`,
);

interface SettleRow extends QuoteRow, VisitRow, StandingRow, CoverageRow, BillLinesRow {
  attempt_voided_at: string | null;
}

/**
 * 2207: the quote with its visit, locked, whether the attempt was voided by a reversal first, and
 * what pre-settle checked and calculated from again. Parameters: terminal, attempt key, terminal, quote.
 */
const SETTLE_SELECT = perDialect(
  (d) => `SELECT q.quote_id, q.bill_hash, q.use_account, q.account_balance, q.accumulators, q.policy_year,
    q.policy_version, q.breakdown, q.expires_at, ${VISIT_COLUMNS}, ${STANDING_SETTLEMENT}, ${CARD_AND_COVERAGE},
    ${billLines(d)},
    (SELECT sa.voided_at FROM settlement_attempts sa WHERE sa.terminal_id = ? AND sa.attempt_key = ?) AS attempt_voided_at
  FROM settlement_quotes q JOIN settlement_visits v ON v.visit_id = q.visit_id
  JOIN institution_terminals t ON t.institution_id = v.institution_id AND t.terminal_id = ?
  LEFT JOIN cards c ON c.card_number = v.card_number
  WHERE q.quote_id = ?${lockVisit(d)}`,
);

interface SettlementRow {
  settlement_id: string;
  visit_id: string;
  quote_id: string;
  terminal_id: string;
  attempt_key: string;
  institution_id: string;
  card_number: string;
  person_no: string;
  scheme: SchemeCode;
  insured_region: string;
  treatment_region: string;
  policy_year: number | string;
  policy_version: number | string;
  settled_at: string;
  business_date: string;
  breakdown: string;
  accumulators_delta: string;
  ended_kind: 'cancelled' | 'reversed' | null;
  ended_at: string | null;
}

export const SETTLEMENT_SELECT = `SELECT s.settlement_id, s.visit_id, s.quote_id, s.terminal_id, s.attempt_key,
  s.institution_id, s.card_number, s.person_no, s.scheme, s.insured_region, s.treatment_region, s.policy_year,
  s.policy_version, s.settled_at, s.business_date, s.breakdown, s.accumulators_delta,
  e.kind AS ended_kind, e.ended_at
  FROM settlements s LEFT JOIN settlement_endings e ON e.settlement_id = s.settlement_id`;

export const settlementFromRow = (r: SettlementRow): Settlement => ({
  settlementId: r.settlement_id,
  visitId: r.visit_id,
  quoteId: r.quote_id,
  attemptKey: r.attempt_key,
  terminalId: r.terminal_id,
  institutionId: r.institution_id,
  cardNumber: r.card_number,
  personNo: r.person_no,
  scheme: r.scheme,
  insuredRegion: r.insured_region,
  treatmentRegion: r.treatment_region,
  policy: {
    region: r.insured_region,
    scheme: r.scheme,
    year: Number(r.policy_year),
    version: Number(r.policy_version),
  },
  settledAt: r.settled_at,
  businessDate: r.business_date,
  status: r.ended_kind ?? 'settled',
  endedAt: r.ended_at,
  breakdown: breakdownSchema.parse(JSON.parse(r.breakdown)),
});

interface QuoteRow {
  quote_id: string;
  visit_id: string;
  bill_hash: string;
  use_account: number | string;
  account_balance: number | string;
  accumulators: string;
  policy_year: number | string;
  policy_version: number | string;
  breakdown: string;
  expires_at: string;
}

interface LineRow {
  line_no: number | string;
  item_code: string;
  unit_price: number | string;
  quantity: number | string;
  item_class: PricedLine['itemClass'];
  pre_self_pay_share: number | string;
  price_ceiling: number | string | null;
}

const pricedFromRow = (r: LineRow): PricedLine => ({
  itemCode: r.item_code,
  itemClass: r.item_class,
  preSelfPayShare: Number(r.pre_self_pay_share),
  priceCeiling: r.price_ceiling === null ? null : Number(r.price_ceiling),
  unitPrice: Number(r.unit_price),
  quantity: Number(r.quantity),
});

const BILL_LINE_COLUMNS = [
  'visit_id',
  'line_no:BIGINT',
  'item_code',
  'unit_price:BIGINT',
  'quantity:BIGINT',
  'item_class',
  'pre_self_pay_share:BIGINT',
  'price_ceiling:BIGINT',
];

export interface BillLineInput {
  lineNo: number;
  itemCode: string;
  unitPrice: number;
  quantity: number;
}

export class SettlementEngine {
  /** Published policy versions read so far, by region/scheme/year/version. */
  private readonly policies = new Map<string, PublishedPolicy>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly presence: CardPresence,
    private readonly quoteTtlSeconds: number,
    private readonly risk: RiskChecks = new RiskChecks(clock),
    /** Chains the entries a request defers (PostgreSQL); without it they are appended in place. */
    private readonly auditWriter?: AuditWriter,
  ) {}

  /**
   * Runs `fn` once per idempotency key: a stored answer is returned as it was (with
   * `replayed: true`), else `fn`'s answer is stored in its transaction.
   *
   * The key is not looked up first: almost every request is a first attempt, and the lookup would
   * cost each one a statement. A retry of an answered request runs `fn` again, and its transaction
   * is undone: storing its answer fails the key's primary key, `fn` refuses (the visit is settled,
   * the challenge spent) or its refusal finds the key answered before it commits; the stored answer
   * is then read and replayed. Two copies of one request racing on PostgreSQL meet the same way.
   *
   * The audit entries `fn` records commit with its transaction, refusals that commit included. On
   * sqlite3 (one writer at a time, group commit) they are appended to the chain as the
   * transaction's last statement. On PostgreSQL the chain's head row stays locked from an append
   * to its commit, which would make every settlement wait for the one before it to reach the disk;
   * there they are deferred (`deferAudit`) and the audit writer chains the entries of all the
   * requests that committed meanwhile in one batch. Either way the answer goes out only once its
   * entries are in the chain, committed; a replayed answer waits for that too, in case the first
   * answer was lost because chaining failed.
   */
  private async once<T extends object>(
    caller: Caller,
    request: Record<string, unknown>,
    fn: (tx: Queryable, audit: (entry: TimedAuditInput) => void) => Promise<T | Refusal>,
  ): Promise<T & { replayed?: boolean }> {
    const k = { terminalId: caller.terminalId, key: caller.key, requestHash: sha256(request) };
    const writer = this.store.dialect === 'postgres' ? this.auditWriter : undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        /** Entries were deferred: the answer waits until the audit writer has chained them. */
        let toChain = false;
        const result = await this.store.transaction(async (tx) => {
          toChain = false;
          const entries: TimedAuditInput[] = [];
          const r = await fn(tx, (entry) => entries.push(entry));
          if (r instanceof Refusal) {
            // A refusal commits what it spent, unless it is a retry's: then the answer is replayed.
            if ((await storedResult<T>(tx, k)) !== undefined) throw new Answered();
          } else await storeResult(tx, k, 200, r, this.clock().toISOString());
          if (writer) {
            await deferAudit(tx, entries);
            toChain = entries.length > 0;
          } else await appendAuditBatch(tx, entries);
          return r;
        });
        if (toChain) await writer?.chainDeferred();
        if (result instanceof Refusal) throw result.error;
        return result;
      } catch (e) {
        // A retry of an answered request, or a copy of this one that committed while it ran (it
        // waited on the same locks, then found the visit settled or the key taken), gets the
        // stored answer; it is replayed once its entries are chained, in case the first answer
        // was lost because chaining failed.
        if (e instanceof Answered || isUniqueViolation(e) || e instanceof DomainError) {
          const stored = await this.store.transaction((tx) => storedResult<T>(tx, k));
          if (stored !== undefined) {
            await writer?.chainDeferred();
            return { ...stored, replayed: true };
          }
          if (isUniqueViolation(e) && attempt === 0) continue;
        }
        throw e;
      }
    }
  }

  // ---- 2201 ---------------------------------------------------------------------------------

  async register(
    caller: Caller,
    body: { cardNumber: string; scheme: SchemeCode; visitType: VisitType; hisVisitNo: string },
  ): Promise<Visit & { replayed?: boolean }> {
    return this.once(caller, { op: '2201', ...body }, async (tx) => {
      // The caller's institution, the card and the holder's coverage under the scheme, in one read.
      const row = await tx.get<RegisterRow>(REGISTER_SELECT, [
        body.scheme,
        body.cardNumber,
        body.scheme,
        caller.terminalId,
      ]);
      if (!row) throw noInstitution();
      const institution = { institutionId: row.institution_id, region: row.region, level: Number(row.level) };
      const card = this.usableCard(cardFromJoinedRow(row, 'c'));
      const coverage = coverageOf(body.scheme, row.insured_region, row.person_group, row.coverage_paused);
      const visit: Visit = {
        visitId: randomUUID(),
        cardNumber: card.cardNumber,
        personNo: card.personNo,
        scheme: body.scheme,
        visitType: body.visitType,
        hisVisitNo: body.hisVisitNo,
        institutionId: institution.institutionId,
        hospitalLevel: institution.level as Visit['hospitalLevel'],
        personGroup: coverage.personGroup,
        insuredRegion: coverage.insuredRegion,
        treatmentRegion: institution.region,
        crossRegion: coverage.insuredRegion !== institution.region,
        registeredAt: this.clock().toISOString(),
      };
      await tx.run(
        `INSERT INTO settlement_visits (visit_id, terminal_id, institution_id, treatment_region, card_number, person_no,
           scheme, insured_region, person_group, visit_type, hospital_level, his_visit_no, registered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          visit.visitId,
          caller.terminalId,
          visit.institutionId,
          visit.treatmentRegion,
          visit.cardNumber,
          visit.personNo,
          visit.scheme,
          visit.insuredRegion,
          visit.personGroup,
          visit.visitType,
          visit.hospitalLevel,
          visit.hisVisitNo,
          visit.registeredAt,
        ],
      );
      return visit;
    });
  }

  // ---- 2204 ---------------------------------------------------------------------------------

  /**
   * Lines are priced from the treatment region's catalogue (the catalogue of the place of
   * treatment, the policy of the insured region). A line number is taken once: the same line sent
   * again is accepted as it is, another line under a used number is a conflict.
   */
  async addBillLines(
    caller: Caller,
    visitId: string,
    lines: readonly BillLineInput[],
  ): Promise<{ visitId: string; lineCount: number; medfee_sumamt: number; replayed?: boolean }> {
    return this.once(caller, { op: '2204', visitId, lines }, async (tx) => {
      // The visit and the catalogue entries of the lines' items, in one read.
      const row = await this.visitRow<StandingRow & BillLinesRow & CatalogueRow>(
        tx,
        caller.terminalId,
        BILL_VISIT_SELECT,
        [JSON.stringify([...new Set(lines.map((l) => l.itemCode))]), caller.terminalId, visitId],
      );
      const visit = visitFromRow(row);
      refuseIfSettled(row);
      const items = catalogueOf(row);
      const unknown = [...new Set(lines.filter((l) => !items.has(l.itemCode)).map((l) => l.itemCode))];
      if (unknown.length > 0) {
        throw refused('ITEM_UNKNOWN', `items not in the catalogue of ${visit.treatmentRegion}`, 422, {
          itemCodes: unknown,
        });
      }
      const existing = linesOf(row);
      const byNo = new Map(existing.map((r) => [Number(r.line_no), r]));
      const added: BillLineInput[] = [];
      for (const l of lines) {
        const had = byNo.get(l.lineNo);
        if (had) {
          if (
            had.item_code !== l.itemCode ||
            Number(had.unit_price) !== l.unitPrice ||
            Number(had.quantity) !== l.quantity
          ) {
            throw refused('BILL_LINE_CONFLICT', `line ${l.lineNo} was sent before with other content`, 409, {
              lineNo: l.lineNo,
            });
          }
          continue;
        }
        added.push(l);
      }
      // One statement for all new lines; a line number sent twice in one request fails its
      // primary key as it would line by line.
      await insertRows(
        tx,
        'settlement_bill_lines',
        BILL_LINE_COLUMNS,
        added.map((l) => {
          const item = items.get(l.itemCode)!;
          return [
            visitId,
            l.lineNo,
            l.itemCode,
            l.unitPrice,
            l.quantity,
            item.itemClass,
            item.preSelfPayShare,
            item.priceCeiling,
          ];
        }),
      );
      return {
        visitId,
        lineCount: existing.length + added.length,
        medfee_sumamt:
          existing.reduce((s, r) => s + Number(r.unit_price) * Number(r.quantity), 0) +
          added.reduce((s, l) => s + l.unitPrice * l.quantity, 0),
      };
    });
  }

  // ---- 2206 ---------------------------------------------------------------------------------

  /**
   * The quote, and in its transaction the challenge its settle's payment proof answers: issued to
   * the caller for the visit's card, it lapses with the quote. The answer is stored under the
   * request's key like any other, so a retried pre-settle answers the same quote and challenge;
   * a new pre-settle (the bill changed) makes a new quote with a new challenge.
   */
  async preSettle(
    caller: Caller,
    visitId: string,
    useAccount: boolean,
  ): Promise<Quote & { replayed?: boolean }> {
    const quote = await this.once(caller, { op: '2206', visitId, useAccount }, async (tx) => {
      const now = this.clock();
      const date = chinaDate(now);
      const year = Number(date.slice(0, 4));
      // The visit with everything the quote is calculated from but its lines, in one read.
      const row = await this.visitRow<PreSettleRow>(tx, caller.terminalId, PRE_SETTLE_SELECT, [
        year,
        date,
        caller.terminalId,
        year,
        visitId,
      ]);
      const visit = visitFromRow(row);
      refuseIfSettled(row);
      const card = this.usableCard(cardFromJoinedRow(row, 'c'));
      coverageHeld(visit.scheme, row);
      const rows = linesOf(row);
      if (rows.length === 0) throw refused('BILL_EMPTY', 'the visit has no bill lines', 409);
      if (row.policy_version === null) {
        throw new DomainError(
          'POLICY_MISSING',
          `no ${visit.scheme} policy of region ${visit.insuredRegion} is in force on ${date}`,
          409,
        );
      }
      const policy = await this.policyVersion(
        tx,
        visit.insuredRegion,
        visit.scheme,
        year,
        Number(row.policy_version),
      );
      const accumulators = joinedAccumulators(row);
      const balance = Number(row.balance ?? 0);
      const breakdown = this.calculate(visit, policy.parameters, accumulators, rows, balance, useAccount);
      const quote: Omit<Quote, 'challenge'> = {
        quoteId: randomUUID(),
        visitId,
        expiresAt: new Date(now.getTime() + this.quoteTtlSeconds * 1000).toISOString(),
        policy: { region: policy.region, scheme: policy.scheme, year: policy.year, version: policy.version },
        breakdown,
      };
      await tx.run(
        `INSERT INTO settlement_quotes (quote_id, visit_id, bill_hash, use_account, account_balance, accumulators,
           policy_year, policy_version, breakdown, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          quote.quoteId,
          visitId,
          billHash(rows),
          useAccount ? 1 : 0,
          balance,
          JSON.stringify(accumulators),
          policy.year,
          policy.version,
          JSON.stringify(breakdown),
          now.toISOString(),
          quote.expiresAt,
        ],
      );
      const challenge = await this.presence.issueForQuote(tx, caller.terminalId, card, quote);
      return { ...quote, challenge };
    });
    await this.presence.sweepLapsed();
    return quote;
  }

  // ---- 2207 ---------------------------------------------------------------------------------

  async settle(
    caller: Caller,
    body: { quoteId: string; proof: { challengeId: string; cryptogram: string } },
  ): Promise<Settlement & { replayed?: boolean }> {
    // The proof is not part of the request's identity: a retry after a lost answer carries a new
    // one, and a replayed answer is returned before any proof is looked at. The HSM is asked
    // before the transaction, so that a slow HSM never holds the store's locks.
    const request = { op: '2207', quoteId: body.quoteId };
    // One read for all three: whether the key was answered, else whose card the quote is for and
    // the challenge the proof answers (which must be the quote's: `judge` and `checkIn` see to it).
    const before = await this.store.get<{
      answered: number | null;
      card_id_code: string | null;
      challenge_terminal_id: string | null;
      challenge_card_id_code: string;
      challenge_algorithm: IssuedChallenge['algorithm'];
      challenge: string;
      challenge_quote_id: string | null;
    }>(
      `SELECT (SELECT 1 FROM idempotency_keys WHERE terminal_id = ? AND idempotency_key = ?) AS answered,
         (SELECT c.card_id_code FROM settlement_quotes q JOIN settlement_visits v ON v.visit_id = q.visit_id
          JOIN cards c ON c.card_number = v.card_number WHERE q.quote_id = ?) AS card_id_code,
         ch.terminal_id AS challenge_terminal_id, ch.card_id_code AS challenge_card_id_code,
         ch.algorithm AS challenge_algorithm, ch.challenge, ch.quote_id AS challenge_quote_id
       FROM (SELECT 1 AS one) o LEFT JOIN challenges ch ON ch.challenge_id = ?`,
      [caller.terminalId, caller.key, body.quoteId, body.proof.challengeId],
    );
    const verdict: CryptogramVerdict =
      before?.answered != null
        ? 'invalid'
        : await this.presence.judge(
            caller.terminalId,
            { ...body.proof, cardIdCode: before?.card_id_code ?? '', quoteId: body.quoteId },
            'payment',
            before?.challenge_terminal_id == null
              ? null
              : {
                  terminal_id: before.challenge_terminal_id,
                  card_id_code: before.challenge_card_id_code,
                  algorithm: before.challenge_algorithm,
                  challenge: before.challenge,
                  quote_id: before.challenge_quote_id,
                },
          );
    return this.once(caller, request, async (tx, audit) => {
      // The quote with its visit, if the visit is of the caller's institution, the visit locked
      // (one settle per visit at a time), with the attempt, the card and the coverage: one read.
      const q = await tx.get<SettleRow>(SETTLE_SELECT[tx.dialect], [
        caller.terminalId,
        caller.key,
        caller.terminalId,
        body.quoteId,
      ]);
      if (!q) {
        const attempt = await tx.get<{ voided_at: string | null }>(
          'SELECT voided_at FROM settlement_attempts WHERE terminal_id = ? AND attempt_key = ?',
          [caller.terminalId, caller.key],
        );
        if (attempt?.voided_at) throw attemptReversed();
        // A terminal of no institution is told so.
        await institutionOfTerminal(tx, caller.terminalId);
        throw refused('QUOTE_UNKNOWN', 'no such quote for this institution', 404);
      }
      if (q.attempt_voided_at !== null) throw attemptReversed();
      const visit = visitFromRow(q);
      const now = this.clock();
      if (q.expires_at <= now.toISOString())
        throw refused('QUOTE_EXPIRED', 'the quote has expired; pre-settle again');
      refuseIfSettled(q);
      const card = this.usableCard(cardFromJoinedRow(q, 'c'));
      coverageHeld(visit.scheme, q);
      const rows = linesOf(q);
      if (billHash(rows) !== q.bill_hash)
        throw refused('BILL_CHANGED', 'the bill changed since the quote; pre-settle again');

      const { result: proof, audit: proofAudit } = await this.presence.checkIn(
        tx,
        caller.terminalId,
        { ...body.proof, cardIdCode: card.cardIdCode, quoteId: q.quote_id },
        verdict,
        card,
      );
      audit(proofAudit);
      if (!proof.verified) {
        return new Refusal(
          proof.reason === 'PIN_NOT_VERIFIED'
            ? refused('PIN_NOT_VERIFIED', 'the card answered without a verified PIN', 403)
            : refused('CARD_PRESENCE_FAILED', 'the card-present proof was refused', 403, {
                reason: proof.reason,
              }),
        );
      }

      // The card was here: the risk rules see it before anything moves, so that a blocking rule
      // refuses with its alert committed and nothing settled.
      const alerts = await this.risk.onCardPresent(tx, {
        personNo: visit.personNo,
        cardNumber: card.cardNumber,
        cardStatus: card.status,
        kind: 'settlement',
        terminalId: caller.terminalId,
        region: visit.treatmentRegion,
        at: now.toISOString(),
      });
      const block = blocking(alerts);
      if (block) {
        return new Refusal(
          new DomainError('RISK_BLOCKED', block.words, 403, {
            alertId: block.alertId,
            ruleCode: block.ruleCode,
          }),
        );
      }

      // The quote is settled as it was calculated, from the accumulators and balance it saw;
      // recalculating it under the policy version it names checks that nothing else it depends
      // on moved. Whether those two are still as it saw them is checked as their rows are locked.
      const quoted = JSON.parse(q.accumulators) as Accumulators;
      const useAccount = Number(q.use_account) === 1;
      const policy = await this.policyVersion(
        tx,
        visit.insuredRegion,
        visit.scheme,
        Number(q.policy_year),
        Number(q.policy_version),
      );
      const breakdown = this.calculate(
        visit,
        policy.parameters,
        quoted,
        rows,
        Number(q.account_balance),
        useAccount,
      );
      if (canonicalJson(breakdown) !== canonicalJson(JSON.parse(q.breakdown))) {
        throw new Error(`quote ${q.quote_id} does not recalculate to itself`);
      }
      const date = chinaDate(now);
      const key = this.accumulatorKey(visit, date);
      const delta = accumulatorDelta(quoted, breakdown.accumulators);
      // Moved only if still as quoted, in the statement that locks the row: the accumulators
      // first, then the account, in the order a cancellation locks them too.
      if (!(await moveAccumulatorsFrom(tx, key, quoted, delta))) {
        return new Refusal(
          refused(
            'ACCUMULATORS_CHANGED',
            'another settlement changed the year-to-date amounts; pre-settle again',
          ),
        );
      }
      const balance = await lockPersonalBalance(tx, visit.personNo);
      if (useAccount && balance !== Number(q.account_balance)) {
        // The refusal commits (the proof is spent): the accumulators go back as they were.
        await moveAccumulators(tx, key, delta, -1);
        return new Refusal(
          refused('ACCOUNT_BALANCE_CHANGED', 'the personal account balance changed; pre-settle again'),
        );
      }
      const settlement: Settlement = {
        settlementId: randomUUID(),
        visitId: visit.visitId,
        quoteId: q.quote_id,
        attemptKey: caller.key,
        terminalId: caller.terminalId,
        institutionId: visit.institutionId,
        cardNumber: visit.cardNumber,
        personNo: visit.personNo,
        scheme: visit.scheme,
        insuredRegion: visit.insuredRegion,
        treatmentRegion: visit.treatmentRegion,
        policy: {
          region: visit.insuredRegion,
          scheme: visit.scheme,
          year: Number(q.policy_year),
          version: Number(q.policy_version),
        },
        settledAt: now.toISOString(),
        businessDate: date,
        status: 'settled',
        endedAt: null,
        breakdown,
      };
      await tx.run(
        `INSERT INTO settlements (settlement_id, visit_id, quote_id, terminal_id, attempt_key, institution_id, card_number,
           person_no, scheme, insured_region, treatment_region, policy_year, policy_version, settled_at, business_date,
           breakdown, accumulators_delta, medfee_sumamt, hifp_pay, hifmi_pay, acct_pay, psn_cash_pay)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          settlement.settlementId,
          settlement.visitId,
          settlement.quoteId,
          settlement.terminalId,
          settlement.attemptKey,
          settlement.institutionId,
          settlement.cardNumber,
          settlement.personNo,
          settlement.scheme,
          settlement.insuredRegion,
          settlement.treatmentRegion,
          settlement.policy.year,
          settlement.policy.version,
          settlement.settledAt,
          settlement.businessDate,
          JSON.stringify(breakdown),
          JSON.stringify(delta),
          breakdown.medfee_sumamt,
          breakdown.hifp_pay,
          breakdown.hifmi_pay,
          breakdown.acct_pay,
          breakdown.psn_cash_pay,
        ],
      );
      await tx.run(
        `INSERT INTO settlement_replay_inputs (${REPLAY_INPUT_COLUMNS.join(', ')}) VALUES (${REPLAY_INPUT_COLUMNS.map(() => '?').join(', ')})`,
        replayInputRow({
          settlementId: settlement.settlementId,
          insuredRegion: settlement.insuredRegion,
          scheme: settlement.scheme,
          settledAt: settlement.settledAt,
          businessDate: settlement.businessDate,
          personNo: settlement.personNo,
          policyVersion: settlement.policy.version,
          terms: {
            visitType: visit.visitType,
            hospitalLevel: visit.hospitalLevel,
            personGroup: visit.personGroup,
          },
          useAccount,
          accountBalance: Number(q.account_balance),
          breakdown,
        }),
      );
      await tx.run(
        'INSERT INTO settlement_attempts (terminal_id, attempt_key, settlement_id) VALUES (?, ?, ?)',
        [caller.terminalId, caller.key, settlement.settlementId],
      );
      await post(tx, settlement.settlementId, 'settlement', postingOf(settlement, 1), settlement.settledAt);
      audit({
        terminalId: caller.terminalId,
        action: 'settlement.settle',
        subject: cardSubject(settlement.cardNumber),
        result: 'ok',
        details: {
          settlementId: settlement.settlementId,
          institutionId: settlement.institutionId,
          medfee_sumamt: breakdown.medfee_sumamt,
          fund_pay_sumamt: breakdown.fund_pay_sumamt,
          acct_pay: breakdown.acct_pay,
        },
        at: this.clock().toISOString(),
      });
      return settlement;
    });
  }

  // ---- 2208 ---------------------------------------------------------------------------------

  /** Cancels a settlement of the caller's institution on the business day it was made. */
  async cancel(caller: Caller, settlementId: string): Promise<Settlement & { replayed?: boolean }> {
    return this.once(caller, { op: '2208', settlementId }, async (tx) => {
      const institution = await institutionOfTerminal(tx, caller.terminalId);
      const s = await this.settlement(tx, settlementId);
      if (!s) throw refused('SETTLEMENT_UNKNOWN', 'no such settlement', 404);
      if (s.institutionId !== institution.institutionId) {
        throw refused(
          'CANCEL_OTHER_INSTITUTION',
          'a settlement is cancelled by the institution that made it',
          403,
        );
      }
      if (s.businessDate !== chinaDate(this.clock())) {
        throw refused(
          'CANCEL_OTHER_DAY',
          `a settlement is cancelled on its business day (${s.businessDate})`,
        );
      }
      if (s.status !== 'settled')
        throw refused('SETTLEMENT_NOT_CANCELLABLE', `the settlement is ${s.status}`);
      return this.end(tx, s, 'cancelled', caller.terminalId);
    });
  }

  // ---- 2601 ---------------------------------------------------------------------------------

  /**
   * Reverses the settle attempt the caller sent with `attemptKey` and never got an answer to: a
   * settled one is undone; one that never arrived is voided, so that it is refused if it arrives
   * later. Both meet on the attempt's row, so the two cannot pass each other.
   */
  async reverse(
    caller: Caller,
    attemptKey: string,
  ): Promise<{
    attemptKey: string;
    outcome: 'reversed' | 'voided' | 'already_ended';
    settlement: Settlement | null;
    replayed?: boolean;
  }> {
    return this.once(caller, { op: '2601', attemptKey }, async (tx) => {
      const attempt = await tx.get<{ settlement_id: string | null; voided_at: string | null }>(
        `SELECT settlement_id, voided_at FROM settlement_attempts WHERE terminal_id = ? AND attempt_key = ?${forUpdate(tx.dialect)}`,
        [caller.terminalId, attemptKey],
      );
      if (!attempt) {
        await tx.run(
          'INSERT INTO settlement_attempts (terminal_id, attempt_key, voided_at) VALUES (?, ?, ?)',
          [caller.terminalId, attemptKey, this.clock().toISOString()],
        );
        await appendAudit(tx, this.clock, {
          terminalId: caller.terminalId,
          action: 'settlement.reverse',
          subject: `attempt ${attemptKey}`,
          result: 'voided',
        });
        return { attemptKey, outcome: 'voided' as const, settlement: null };
      }
      if (attempt.settlement_id === null) return { attemptKey, outcome: 'voided' as const, settlement: null };
      const s = (await this.settlement(tx, attempt.settlement_id))!;
      if (s.status !== 'settled') return { attemptKey, outcome: 'already_ended' as const, settlement: s };
      return {
        attemptKey,
        outcome: 'reversed' as const,
        settlement: await this.end(tx, s, 'reversed', caller.terminalId),
      };
    });
  }

  /** What became of the caller's settle attempt `attemptKey`. */
  async attemptStatus(
    terminalId: string,
    attemptKey: string,
  ): Promise<{
    attemptKey: string;
    outcome: 'settled' | 'cancelled' | 'reversed' | 'voided' | 'unknown';
    settlement: Settlement | null;
  }> {
    const attempt = await this.store.get<{ settlement_id: string | null; voided_at: string | null }>(
      'SELECT settlement_id, voided_at FROM settlement_attempts WHERE terminal_id = ? AND attempt_key = ?',
      [terminalId, attemptKey],
    );
    if (!attempt) return { attemptKey, outcome: 'unknown', settlement: null };
    if (attempt.settlement_id === null) return { attemptKey, outcome: 'voided', settlement: null };
    const s = (await this.settlement(this.store, attempt.settlement_id))!;
    return { attemptKey, outcome: s.status, settlement: s };
  }

  async settlement(q: Queryable, settlementId: string): Promise<Settlement | undefined> {
    const row = await q.get<SettlementRow>(`${SETTLEMENT_SELECT} WHERE s.settlement_id = ?`, [settlementId]);
    return row ? settlementFromRow(row) : undefined;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * A published policy version, read once per engine: nothing published is ever changed, and the
   * settle step needs the version its quote names every time.
   */
  private async policyVersion(
    tx: Queryable,
    region: string,
    scheme: SchemeCode,
    year: number,
    version: number,
  ): Promise<PublishedPolicy> {
    const cacheKey = `${region}/${scheme}/${year}/${version}`;
    let policy = this.policies.get(cacheKey);
    if (policy === undefined) {
      policy = await policyVersion(tx, region, scheme, year, version);
      if (policy === undefined) throw new Error(`policy ${cacheKey} named by a quote is missing`);
      this.policies.set(cacheKey, policy);
    }
    return policy;
  }

  /**
   * Ends a settlement: the ending row first (its primary key stops a second ending racing this
   * one), then the accumulators go back by exactly the settlement's delta and the opposite
   * entries are posted.
   */
  private async end(
    tx: Queryable,
    s: Settlement,
    kind: 'cancelled' | 'reversed',
    terminalId: string,
  ): Promise<Settlement> {
    const at = this.clock().toISOString();
    await tx.run(
      'INSERT INTO settlement_endings (settlement_id, kind, ended_at, terminal_id) VALUES (?, ?, ?, ?)',
      [s.settlementId, kind, at, terminalId],
    );
    const row = await tx.get<{ accumulators_delta: string }>(
      'SELECT accumulators_delta FROM settlements WHERE settlement_id = ?',
      [s.settlementId],
    );
    const delta = JSON.parse(row!.accumulators_delta) as Accumulators;
    await moveAccumulators(
      tx,
      {
        personNo: s.personNo,
        scheme: s.scheme,
        insuredRegion: s.insuredRegion,
        year: Number(s.businessDate.slice(0, 4)),
      },
      delta,
      -1,
    );
    await post(
      tx,
      `${s.settlementId}:${kind}`,
      kind === 'cancelled' ? 'cancellation' : 'reversal',
      postingOf(s, -1),
      at,
    );
    await appendAudit(tx, this.clock, {
      terminalId,
      action: kind === 'cancelled' ? 'settlement.cancel' : 'settlement.reverse',
      subject: cardSubject(s.cardNumber),
      result: 'ok',
      details: { settlementId: s.settlementId },
    });
    return { ...s, status: kind, endedAt: at };
  }

  private calculate(
    visit: Visit,
    parameters: Parameters<typeof calculate>[0]['parameters'],
    accumulators: Accumulators,
    rows: readonly LineRow[],
    balance: number,
    useAccount: boolean,
  ): Breakdown {
    const breakdown = calculate({
      parameters,
      accumulators,
      terms: {
        visitType: visit.visitType,
        hospitalLevel: visit.hospitalLevel,
        personGroup: visit.personGroup,
      },
      lines: rows.map(pricedFromRow),
      account: { balance, use: useAccount },
    });
    if (!identitiesHold(breakdown)) throw new Error('a settlement breakdown failed its identities');
    return breakdown;
  }

  private accumulatorKey(visit: Visit, date: string) {
    return {
      personNo: visit.personNo,
      scheme: visit.scheme,
      insuredRegion: visit.insuredRegion,
      year: Number(date.slice(0, 4)),
    };
  }

  /**
   * The row of `select` (one of the visit reads at the top, whose parameters end with the visit) for a
   * visit of the caller's institution; not found otherwise, and a terminal of no institution is
   * told so.
   */
  private async visitRow<R>(
    tx: Queryable,
    terminalId: string,
    select: Record<Dialect, string>,
    params: SqlValue[],
  ): Promise<VisitRow & R> {
    const row = await tx.get<VisitRow & R>(select[tx.dialect], params);
    if (row) return row;
    await institutionOfTerminal(tx, terminalId);
    throw notFound('visit');
  }

  /** The card a settlement step may go on with: known, active and not expired. */
  private usableCard(card: Card | undefined): Card {
    if (!card) throw refused('CARD_NOT_ACTIVE', 'the card is not known', 409, { status: 'unknown' });
    const today = chinaDate(this.clock());
    if (card.status !== 'active' || card.expiryDate < today) {
      throw refused('CARD_NOT_ACTIVE', 'the card cannot be used for settlement', 409, {
        status: card.status === 'active' ? 'expired' : card.status,
      });
    }
    return card;
  }
}

const attemptReversed = () => refused('ATTEMPT_REVERSED', 'this attempt was reversed before it arrived', 409);

function refuseIfSettled(row: StandingRow): void {
  if (row.standing_settlement_id !== null) {
    throw refused('VISIT_SETTLED', 'the visit is settled; cancel the settlement first', 409, {
      settlementId: row.standing_settlement_id,
    });
  }
}

/** The holder's coverage under `scheme`: the latest active relation's, else why there is none. */
function coverageOf(
  scheme: SchemeCode,
  insuredRegion: string | null,
  personGroup: Visit['personGroup'] | null,
  paused: number | string,
): { insuredRegion: string; personGroup: Visit['personGroup'] } {
  if (insuredRegion !== null && personGroup !== null) return { insuredRegion, personGroup };
  throw noCoverage(scheme, paused);
}

/** Refuses a step whose visit's holder has no active coverage under the scheme any more. */
function coverageHeld(scheme: SchemeCode, row: CoverageRow): void {
  if (Number(row.coverage_active) !== 1) throw noCoverage(scheme, row.coverage_paused);
}

const noCoverage = (scheme: SchemeCode, paused: number | string) =>
  Number(paused) === 1
    ? refused('COVERAGE_PAUSED', `the holder's ${scheme} coverage is paused`)
    : refused('COVERAGE_MISSING', `the holder has no ${scheme} coverage`);

/** The bill as the quote saw it: any line added or changed since changes the hash. */
function billHash(rows: readonly LineRow[]): string {
  return sha256(rows.map((r) => [Number(r.line_no), r.item_code, Number(r.unit_price), Number(r.quantity)]));
}

/**
 * The personal account's balance, its row locked for the rest of the transaction (PostgreSQL:
 * the upsert's update locks it; sqlite3 serialises writers) and created at zero when absent, so
 * that there is a row to lock. One statement.
 */
async function lockPersonalBalance(tx: Queryable, personNo: string): Promise<number> {
  const row = await tx.get<{ balance: number | string }>(
    `INSERT INTO personal_accounts (person_no, balance) VALUES (?, 0)
     ON CONFLICT (person_no) DO UPDATE SET balance = personal_accounts.balance RETURNING balance`,
    [personNo],
  );
  return Number(row!.balance);
}

/** A settlement's entries (`sign` −1: the opposite ones, for a cancellation or reversal). */
function postingOf(s: Settlement, sign: 1 | -1) {
  const b = s.breakdown;
  return [
    { account: account.pooledFund(s.insuredRegion, s.scheme), amount: -sign * b.hifp_pay },
    { account: account.largeExpenseFund(s.insuredRegion, s.scheme), amount: -sign * b.hifmi_pay },
    { account: account.personal(s.personNo), amount: -sign * b.acct_pay },
    { account: account.receivable(s.institutionId), amount: sign * (b.hifp_pay + b.hifmi_pay + b.acct_pay) },
  ];
}
