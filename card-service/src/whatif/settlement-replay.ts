import {
  type Accumulators,
  type Breakdown,
  type PersonGroup,
  type PolicyParameters,
  type PricedLine,
  type SchemeCode,
  type VisitType,
  ZERO_ACCUMULATORS,
  breakdownSchema,
} from '@sscard/registry-protocol/settlement';
import type { whatif } from '@sscard/registry-protocol';
import { DomainError } from '../errors.js';
import { accumulatorDelta, applyDelta, calculate } from '../settlement/calculation.js';
import { type Queryable, inJsonArray } from '../store/store.js';

/**
 * Replays the recorded settlements of one insured region, scheme and year in the order they were
 * made, through the engine's own `calculate`, with accumulators that start the year at zero and
 * follow the replay: a settlement's replayed change is added when it was settled and taken back
 * when it was cancelled or reversed, as the engine did. The personal account's balance is the
 * recorded one moved by what the replay took from the account differently so far. Settlements are
 * read a page at a time in (settled_at, settlement_id) order, never all at once.
 *
 * Under unchanged parameters every replayed breakdown is the recorded one, to the fen.
 */
export interface ReplayScope {
  region: string;
  scheme: SchemeCode;
  year: number;
  changes: whatif.PolicyChanges;
}

/** What the replay hands on for each settlement, in settlement order. */
export interface ReplayedSettlement {
  settlementId: string;
  personNo: string;
  businessDate: string;
  visitType: VisitType;
  hospitalLevel: 1 | 2 | 3;
  personGroup: PersonGroup;
  /** False when it was cancelled or reversed (at any time). */
  standing: boolean;
  recorded: {
    medfee_sumamt: number;
    hifp_pay: number;
    hifmi_pay: number;
    acct_pay: number;
    psn_cash_pay: number;
  };
  replayed: Breakdown;
}

export interface ReplayOptions {
  pageSize?: number;
  /** Called after each page with the settlements replayed so far and the year's total. */
  onProgress?: (done: number, total: number) => Promise<void> | void;
  /** Checked between pages: true stops the replay with an error. */
  stopped?: () => boolean;
}

interface Row {
  settlement_id: string;
  settled_at: string;
  business_date: string;
  person_no: string;
  policy_version: number | string;
  medfee_sumamt: number | string;
  hifp_pay: number | string;
  hifmi_pay: number | string;
  acct_pay: number | string;
  psn_cash_pay: number | string;
  ended_at: string | null;
  /** Only for an ended settlement: its bill may have grown after it ended. */
  ended_breakdown: string | null;
  visit_id: string;
  visit_type: VisitType;
  hospital_level: number | string;
  person_group: PersonGroup;
  use_account: number | string;
  account_balance: number | string;
}

interface LineRow {
  visit_id: string;
  item_code: string;
  unit_price: number | string;
  quantity: number | string;
  item_class: PricedLine['itemClass'];
  pre_self_pay_share: number | string;
  price_ceiling: number | string | null;
}

/** An ended settlement's replayed effect, undone at its ending. */
interface PendingEnding {
  at: string;
  personNo: string;
  delta: Accumulators;
  accountShift: number;
}

/** The year's bounds as instants: business dates are China dates (UTC+8). */
export function yearBounds(year: number): { from: string; to: string } {
  const at = (y: number) => new Date(Date.parse(`${y}-01-01T00:00:00+08:00`)).toISOString();
  return { from: at(year), to: at(year + 1) };
}

export function applyChanges(parameters: PolicyParameters, changes: whatif.PolicyChanges): PolicyParameters {
  const out = { ...parameters };
  for (const [k, v] of Object.entries(changes)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

async function versionsOf(q: Queryable, scope: ReplayScope): Promise<Map<number, PolicyParameters>> {
  const rows = await q.all<{ version: number | string; parameters: string }>(
    'SELECT version, parameters FROM settlement_policies WHERE region = ? AND scheme = ? AND year = ?',
    [scope.region, scope.scheme, scope.year],
  );
  if (rows.length === 0) {
    throw new DomainError(
      'POLICY_MISSING',
      `no ${scope.scheme} policy of region ${scope.region} was published for ${scope.year}`,
      409,
    );
  }
  return new Map(
    rows.map((r) => [
      Number(r.version),
      applyChanges(JSON.parse(r.parameters) as PolicyParameters, scope.changes),
    ]),
  );
}

const SELECT = `SELECT s.settlement_id, s.settled_at, s.business_date, s.person_no, s.policy_version, s.medfee_sumamt,
  s.hifp_pay, s.hifmi_pay, s.acct_pay, s.psn_cash_pay, e.ended_at,
  CASE WHEN e.settlement_id IS NULL THEN NULL ELSE s.breakdown END AS ended_breakdown,
  v.visit_id, v.visit_type, v.hospital_level, v.person_group, q.use_account, q.account_balance
  FROM settlements s
  JOIN settlement_visits v ON v.visit_id = s.visit_id
  JOIN settlement_quotes q ON q.quote_id = s.quote_id
  LEFT JOIN settlement_endings e ON e.settlement_id = s.settlement_id
  WHERE s.insured_region = ? AND s.scheme = ? AND s.settled_at >= ? AND s.settled_at < ?`;

/** The number of settlements the replay will go through. */
export async function countSettlements(q: Queryable, scope: Omit<ReplayScope, 'changes'>): Promise<number> {
  const { from, to } = yearBounds(scope.year);
  const row = await q.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM settlements
     WHERE insured_region = ? AND scheme = ? AND settled_at >= ? AND settled_at < ?`,
    [scope.region, scope.scheme, from, to],
  );
  return Number(row?.n ?? 0);
}

const priced = (r: LineRow): PricedLine => ({
  itemCode: r.item_code,
  itemClass: r.item_class,
  preSelfPayShare: Number(r.pre_self_pay_share),
  priceCeiling: r.price_ceiling === null ? null : Number(r.price_ceiling),
  unitPrice: Number(r.unit_price),
  quantity: Number(r.quantity),
});

/**
 * The lines an ended settlement was calculated on. Lines are only ever added to a visit, so its
 * recorded line splits are a subsequence of the visit's lines now, in line order: matched by item
 * and line total.
 */
function linesAtTheTime(current: readonly PricedLine[], recordedBreakdown: string): PricedLine[] {
  const recorded = breakdownSchema.parse(JSON.parse(recordedBreakdown)).lines;
  if (recorded.length === current.length) return [...current];
  const out: PricedLine[] = [];
  let i = 0;
  for (const line of current) {
    const want = recorded[i];
    if (
      want &&
      want.itemCode === line.itemCode &&
      want.det_item_fee_sumamt === line.unitPrice * line.quantity
    ) {
      out.push(line);
      i++;
    }
  }
  return out;
}

export async function replaySettlements(
  q: Queryable,
  scope: ReplayScope,
  each: (s: ReplayedSettlement) => void,
  options: ReplayOptions = {},
): Promise<{ replayed: number }> {
  const versions = await versionsOf(q, scope);
  const total = await countSettlements(q, scope);
  const { from, to } = yearBounds(scope.year);
  const pageSize = options.pageSize ?? 5000;
  const accumulators = new Map<string, Accumulators>();
  const accountShift = new Map<string, number>();
  // Endings still to come, in time order; few beside the settlements, so a sorted array will do.
  const pending: PendingEnding[] = [];
  const endUntil = (at: string) => {
    while (pending.length > 0 && pending[0]!.at <= at) {
      const e = pending.shift()!;
      accumulators.set(e.personNo, applyDelta(accumulators.get(e.personNo)!, e.delta, -1));
      accountShift.set(e.personNo, (accountShift.get(e.personNo) ?? 0) - e.accountShift);
    }
  };
  let done = 0;
  const pageAfter = (after: { at: string; id: string } | undefined) =>
    q.all<Row>(
      `${SELECT}${after ? ' AND (s.settled_at > ? OR (s.settled_at = ? AND s.settlement_id > ?))' : ''}
       ORDER BY s.settled_at, s.settlement_id LIMIT ?`,
      [scope.region, scope.scheme, from, to, ...(after ? [after.at, after.at, after.id] : []), pageSize],
    );
  // The next page is asked for as soon as this one's last row is known, so the store reads it
  // while this page's lines are read and its settlements calculated.
  let next: Promise<Row[]> | undefined = pageAfter(undefined);
  while (next) {
    if (options.stopped?.()) throw new DomainError('ANALYSIS_STOPPED', 'the replay was stopped', 503);
    const rows: Row[] = await next;
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!;
    const lineRowsP = q.all<LineRow>(
      `SELECT visit_id, item_code, unit_price, quantity, item_class, pre_self_pay_share, price_ceiling
       FROM settlement_bill_lines WHERE ${inJsonArray(q.dialect, 'visit_id')} ORDER BY visit_id, line_no`,
      [JSON.stringify([...new Set(rows.map((r) => r.visit_id))])],
    );
    next = rows.length < pageSize ? undefined : pageAfter({ at: last.settled_at, id: last.settlement_id });
    // A rejection of the page read ahead is taken when it is awaited, not left unhandled meanwhile.
    next?.catch(() => undefined);
    const lineRows = await lineRowsP;
    const linesOf = new Map<string, PricedLine[]>();
    for (const l of lineRows) {
      const list = linesOf.get(l.visit_id);
      if (list) list.push(priced(l));
      else linesOf.set(l.visit_id, [priced(l)]);
    }
    for (const r of rows) {
      endUntil(r.settled_at);
      const parameters = versions.get(Number(r.policy_version));
      if (!parameters)
        throw new Error(`settlement ${r.settlement_id} names a policy version that is not there`);
      const before = accumulators.get(r.person_no) ?? ZERO_ACCUMULATORS;
      const shift = accountShift.get(r.person_no) ?? 0;
      const current = linesOf.get(r.visit_id) ?? [];
      const terms = {
        visitType: r.visit_type,
        hospitalLevel: Number(r.hospital_level) as 1 | 2 | 3,
        personGroup: r.person_group,
      };
      const replayed = calculate({
        parameters,
        accumulators: before,
        terms,
        lines: r.ended_breakdown === null ? current : linesAtTheTime(current, r.ended_breakdown),
        account: { balance: Number(r.account_balance) + shift, use: Number(r.use_account) === 1 },
      });
      const recorded = {
        medfee_sumamt: Number(r.medfee_sumamt),
        hifp_pay: Number(r.hifp_pay),
        hifmi_pay: Number(r.hifmi_pay),
        acct_pay: Number(r.acct_pay),
        psn_cash_pay: Number(r.psn_cash_pay),
      };
      accumulators.set(r.person_no, replayed.accumulators);
      const moved = recorded.acct_pay - replayed.acct_pay;
      if (moved !== 0) accountShift.set(r.person_no, shift + moved);
      if (r.ended_at !== null) {
        const ending: PendingEnding = {
          at: r.ended_at,
          personNo: r.person_no,
          delta: accumulatorDelta(before, replayed.accumulators),
          accountShift: moved,
        };
        let i = pending.length;
        while (i > 0 && pending[i - 1]!.at > ending.at) i--;
        pending.splice(i, 0, ending);
      }
      each({
        settlementId: r.settlement_id,
        personNo: r.person_no,
        businessDate: r.business_date,
        ...terms,
        standing: r.ended_at === null,
        recorded,
        replayed,
      });
    }
    done += rows.length;
    await options.onProgress?.(done, total);
  }
  return { replayed: done };
}
