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
import { type ReplayInput, pricedLine } from '../settlement/replay-inputs.js';
import type { Queryable } from '../store/store.js';

/**
 * Replays the recorded settlements of one insured region, scheme and year in the order they were
 * made, through the engine's own `calculate`, with accumulators that start the year at zero and
 * follow the replay: a settlement's replayed change is added when it was settled and taken back
 * when it was cancelled or reversed, as the engine did. The personal account's balance is the
 * recorded one moved by what the replay took from the account differently so far. Settlements are
 * read from their replay inputs (settlement/replay-inputs.ts) a page at a time in (settled_at,
 * settlement_id) order, never all at once; only the year's endings are read up front.
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

/** A settlement of the year that was cancelled or reversed, and how many lines it was calculated on. */
interface Ended {
  endedAt: string;
  recordedLines: number;
}

/**
 * The year's cancelled and reversed settlements, read up front (they are few beside the
 * settlements), driven from the endings so that the year's settlements are not all visited.
 */
async function endingsOf(q: Queryable, scope: ReplayScope): Promise<Map<string, Ended>> {
  const { from, to } = yearBounds(scope.year);
  const lineCount =
    q.dialect === 'postgres'
      ? "json_array_length(s.breakdown::json -> 'lines')"
      : "json_array_length(s.breakdown, '$.lines')";
  const rows = await q.all<{ settlement_id: string; ended_at: string; lines: number | string }>(
    `SELECT e.settlement_id, e.ended_at, ${lineCount} AS lines
     FROM settlement_endings e CROSS JOIN settlements s
     WHERE s.settlement_id = e.settlement_id AND e.ended_at >= ?
       AND s.insured_region = ? AND s.scheme = ? AND s.settled_at >= ? AND s.settled_at < ?`,
    [from, scope.region, scope.scheme, from, to],
  );
  return new Map(rows.map((r) => [r.settlement_id, { endedAt: r.ended_at, recordedLines: Number(r.lines) }]));
}

/** A page of replay inputs in replay order, after `after` (a settlement's time and id). */
async function pageOf(
  q: Queryable,
  scope: ReplayScope,
  after: ReplayInput | undefined,
  pageSize: number,
): Promise<ReplayInput[]> {
  const { from, to } = yearBounds(scope.year);
  const rows = await q.all<{ input: string }>(
    `SELECT input FROM settlement_replay_inputs
     WHERE insured_region = ? AND scheme = ? AND ${after ? '(settled_at, settlement_id) > (?, ?)' : 'settled_at >= ?'}
       AND settled_at < ?
     ORDER BY settled_at, settlement_id LIMIT ?`,
    // The page starts where the last ended: with the year's start beside it, sqlite3 would seek to
    // the year's start and step over every settlement of the pages before.
    [scope.region, scope.scheme, ...(after ? [after[1], after[0]] : [from]), to, pageSize],
  );
  return rows.map((r) => JSON.parse(r.input) as ReplayInput);
}

export async function replaySettlements(
  q: Queryable,
  scope: ReplayScope,
  each: (s: ReplayedSettlement) => void,
  options: ReplayOptions = {},
): Promise<{ replayed: number }> {
  const versions = await versionsOf(q, scope);
  const total = await countSettlements(q, scope);
  const endings = await endingsOf(q, scope);
  const pageSize = options.pageSize ?? 10_000;
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
  // The next page is asked for as soon as this one's last settlement is known, so the store reads
  // it while this page's settlements are calculated.
  let next: Promise<ReplayInput[]> | undefined = pageOf(q, scope, undefined, pageSize);
  while (next) {
    if (options.stopped?.()) throw new DomainError('ANALYSIS_STOPPED', 'the replay was stopped', 503);
    const page: ReplayInput[] = await next;
    if (page.length === 0) break;
    next = page.length < pageSize ? undefined : pageOf(q, scope, page[page.length - 1], pageSize);
    // A rejection of the page read ahead is taken when it is awaited, not left unhandled meanwhile.
    next?.catch(() => undefined);
    for (const input of page) {
      const [settlementId, settledAt, businessDate, personNo, version] = input;
      endUntil(settledAt);
      const parameters = versions.get(version);
      if (!parameters) throw new Error(`settlement ${settlementId} names a policy version that is not there`);
      const before = accumulators.get(personNo) ?? ZERO_ACCUMULATORS;
      const shift = accountShift.get(personNo) ?? 0;
      const terms = { visitType: input[10], hospitalLevel: input[11], personGroup: input[12] };
      const ended = endings.get(settlementId);
      let lines = input[15].map(pricedLine);
      // Inputs written before the table existed hold the visit's lines as they are now.
      if (ended && ended.recordedLines !== lines.length) {
        const row = await q.get<{ breakdown: string }>(
          'SELECT breakdown FROM settlements WHERE settlement_id = ?',
          [settlementId],
        );
        lines = linesAtTheTime(lines, row!.breakdown);
      }
      const replayed = calculate({
        parameters,
        accumulators: before,
        terms,
        lines,
        account: { balance: input[14] + shift, use: input[13] === 1 },
      });
      const recorded = {
        medfee_sumamt: input[5],
        hifp_pay: input[6],
        hifmi_pay: input[7],
        acct_pay: input[8],
        psn_cash_pay: input[9],
      };
      accumulators.set(personNo, replayed.accumulators);
      const moved = recorded.acct_pay - replayed.acct_pay;
      if (moved !== 0) accountShift.set(personNo, shift + moved);
      if (ended) {
        const ending: PendingEnding = {
          at: ended.endedAt,
          personNo,
          delta: accumulatorDelta(before, replayed.accumulators),
          accountShift: moved,
        };
        let i = pending.length;
        while (i > 0 && pending[i - 1]!.at > ending.at) i--;
        pending.splice(i, 0, ending);
      }
      each({
        settlementId,
        personNo,
        businessDate,
        ...terms,
        standing: ended === undefined,
        recorded,
        replayed,
      });
    }
    done += page.length;
    await options.onProgress?.(done, total);
  }
  return { replayed: done };
}
