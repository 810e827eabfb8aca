import {
  type Accumulators,
  PERSON_GROUPS,
  type PersonGroup,
  type PolicyParameters,
  type SchemeCode,
  VISIT_TYPES,
  type VisitType,
  ZERO_ACCUMULATORS,
} from '@sscard/registry-protocol/settlement';
import type { whatif } from '@sscard/registry-protocol';
import { DomainError } from '../errors.js';
import {
  type AmountsInput,
  type SettlementAmounts,
  accumulatorDelta,
  applyDelta,
  calculateAmounts,
} from '../settlement/calculation.js';
import { type ReplayInput, businessMonth } from '../settlement/replay-inputs.js';
import type { Queryable } from '../store/store.js';

/**
 * Replays the recorded settlements of one insured region, scheme and year in the order they were
 * made, through the engine's own calculation (`calculateAmounts`, steps 2–7 on the bill's recorded
 * step-1 sums, which no policy changes), with accumulators that start the year at zero and
 * follow the replay: a settlement's replayed change is added when it was settled and taken back
 * when it was cancelled or reversed, as the engine did. The personal account's balance is the
 * recorded one moved by what the replay took from the account differently so far. Settlements are
 * read from their replay inputs (settlement/replay-inputs.ts) a page at a time in (settled_at,
 * settlement_id) order, never all at once; only the year's endings are read up front.
 *
 * A page comes from the store already split into parts by person (`readPage`), each part one JSON
 * text in replay order, so that parts can be replayed on threads of their own (policy-whatif.ts):
 * a `ReplayState` replays one part's persons, and what it needs besides their settlements (the
 * policy versions, the year's endings) is plain data that can be handed to a worker thread.
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
  /** The person's number in this replay, 0, 1, 2… in order of first settlement: a dense key for tallies. */
  personIndex: number;
  /** The month of its business date, 1–12. */
  month: number;
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
  replayed: SettlementAmounts;
}

export interface ReplayOptions {
  pageSize?: number;
  /**
   * Threads the replay is split over, by person (a person's settlements depend on each other,
   * two persons' never do); the runner decides how to use them. Default: one.
   */
  threads?: number;
  /** Called after each page with the settlements replayed so far and the year's total. */
  onProgress?: (done: number, total: number) => Promise<void> | void;
  /** Checked between pages: true stops the replay with an error. */
  stopped?: () => boolean;
}

/** A person as the replay has them: accumulators, and how far the replay moved their account. */
interface PersonState {
  index: number;
  accumulators: Accumulators;
  /** What the replay took from the account less than recorded so far (negative: more). */
  accountShift: number;
}

/** An ended settlement's replayed effect, undone at its ending. */
interface PendingEnding {
  at: string;
  person: PersonState;
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
 * The year's cancelled and reversed settlements, read up front (they are few beside the
 * settlements), driven from the endings so that the year's settlements are not all visited.
 */
async function endingsOf(q: Queryable, scope: ReplayScope): Promise<Map<string, string>> {
  const { from, to } = yearBounds(scope.year);
  const rows = await q.all<{ settlement_id: string; ended_at: string }>(
    `SELECT e.settlement_id, e.ended_at
     FROM settlement_endings e CROSS JOIN settlements s
     WHERE s.settlement_id = e.settlement_id AND e.ended_at >= ?
       AND s.insured_region = ? AND s.scheme = ? AND s.settled_at >= ? AND s.settled_at < ?`,
    [from, scope.region, scope.scheme, from, to],
  );
  return new Map(rows.map((r) => [r.settlement_id, r.ended_at]));
}

/**
 * The settlements of the year before the replay: policy versions with the changes applied, how
 * many settlements there are, and the year's endings.
 */
export interface ReplayContext {
  versions: Map<number, PolicyParameters>;
  endings: Map<string, string>;
  total: number;
}

export async function replayContext(q: Queryable, scope: ReplayScope): Promise<ReplayContext> {
  return {
    versions: await versionsOf(q, scope),
    total: await countSettlements(q, scope),
    endings: await endingsOf(q, scope),
  };
}

/** One page, its settlements split by person into `parts` JSON texts, each in replay order. */
export interface ReplayPage {
  /** JSON arrays of `ReplayInput`; an empty part is `[]`. */
  parts: string[];
  settlements: number;
  /** Where the next page starts: the last settlement's time and id; none after the year's last page. */
  last: { settledAt: string; settlementId: string } | undefined;
}

/**
 * A page of replay inputs in replay order, after `after`. The store joins the page's rows into one
 * text per part: one row object and one parse per part instead of one of each per settlement. A
 * person's part is the code of the last character of their number modulo `parts` — person numbers
 * end in a serial or check digit, so the parts come out about equal; only speed depends on that.
 *
 * The page's last key is the `pageSize`th key after `after`, read by the same statement from the
 * index (in the same snapshot): taken from the page's own rows, it made the store keep the page
 * and sort it twice more, which doubled a page's cost on PostgreSQL. One statement a page, so that
 * the next page is read while this one is replayed.
 */
export async function readPage(
  q: Queryable,
  scope: ReplayScope,
  after: ReplayPage['last'],
  pageSize: number,
  parts = 1,
): Promise<ReplayPage> {
  const { from, to } = yearBounds(scope.year);
  // The page starts where the last ended: with the year's start beside it, sqlite3 would seek to
  // the year's start and step over every settlement of the pages before.
  const range = `FROM settlement_replay_inputs
    WHERE insured_region = ? AND scheme = ? AND ${after ? '(settled_at, settlement_id) > (?, ?)' : 'settled_at >= ?'}
      AND settled_at < ?
    ORDER BY settled_at, settlement_id`;
  const rangeArgs = [
    scope.region,
    scope.scheme,
    ...(after ? [after.settledAt, after.settlementId] : [from]),
    to,
  ];
  const pg = q.dialect === 'postgres';
  const join = pg
    ? "string_agg(input, ',' ORDER BY settled_at, settlement_id)"
    : "group_concat(input, ',' ORDER BY settled_at, settlement_id)";
  const partOf = pg ? `ascii(right(person_no, 1)) % ${parts}` : `unicode(substr(person_no, -1)) % ${parts}`;
  const texts = Array.from({ length: parts }, (_, i) =>
    parts === 1 ? `${join} AS part0` : `${join} FILTER (WHERE ${partOf} = ${i}) AS part${i}`,
  );
  const row = await q.get<Record<string, string | number | null>>(
    `SELECT ${texts.join(', ')}, COUNT(*) AS n,
       (SELECT settled_at ${range} LIMIT 1 OFFSET ?) AS last_at,
       (SELECT settlement_id ${range} LIMIT 1 OFFSET ?) AS last_id
     FROM (SELECT settled_at, settlement_id, person_no, input ${range} LIMIT ?) page`,
    [...rangeArgs, pageSize - 1, ...rangeArgs, pageSize - 1, ...rangeArgs, pageSize],
  );
  return {
    parts: Array.from({ length: parts }, (_, i) => `[${(row?.[`part${i}`] as string | null) ?? ''}]`),
    settlements: Number(row?.n ?? 0),
    last:
      row?.last_at != null && row.last_id != null
        ? { settledAt: String(row.last_at), settlementId: String(row.last_id) }
        : undefined,
  };
}

/** About 500 inputs of `settlement_replay_inputs`. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The replay of one part's persons: their accumulators and account shifts, and the endings still
 * to come. Settlements must be handed to it in replay order.
 */
export class ReplayState {
  // One entry per person, looked up once per settlement.
  private readonly persons = new Map<string, PersonState>();
  // Endings still to come, in time order; few beside the settlements, so a sorted array will do.
  private readonly pending: PendingEnding[] = [];
  private readonly scratch: AmountsInput;

  constructor(private readonly context: Pick<ReplayContext, 'versions' | 'endings'>) {
    this.scratch = {
      parameters: context.versions.values().next().value!,
      accumulators: ZERO_ACCUMULATORS,
      terms: { visitType: 'outpatient', hospitalLevel: 1, personGroup: 'in_service' },
      account: { balance: 0, use: false },
      bill: {
        medfee_sumamt: 0,
        fulamt_ownpay_amt: 0,
        overlmt_selfpay: 0,
        preselfpay_amt: 0,
        inscp_scp_amt: 0,
      },
    };
  }

  /**
   * Replays a part's text of `readPage`. The text is parsed
   * a slice of about `CHUNK_CHARS` at a time, each slice's inputs replayed and dropped before the
   * next is parsed: parsed all at once, a page's inputs outlive many young-generation collections
   * and are copied by each.
   */
  replayText(part: string, each: (s: ReplayedSettlement) => void): void {
    // The text is `[` + inputs joined by `,` + `]`; each input is an array of scalars whose first is
    // a string, so `,["` occurs only between inputs (a `"` inside a string is always escaped).
    let from = 1;
    while (from < part.length - 1) {
      const cut = part.indexOf(',["', from + CHUNK_CHARS);
      const to = cut === -1 ? part.length - 1 : cut;
      const inputs = JSON.parse(`[${part.slice(from, to)}]`) as ReplayInput[];
      for (const input of inputs) this.replay(input, each);
      from = to + 1;
    }
  }

  private endUntil(at: string): void {
    const pending = this.pending;
    while (pending.length > 0 && pending[0]!.at <= at) {
      const e = pending.shift()!;
      e.person.accumulators = applyDelta(e.person.accumulators, e.delta, -1);
      e.person.accountShift -= e.accountShift;
    }
  }

  replay(input: ReplayInput, each: (s: ReplayedSettlement) => void): void {
    const { versions, endings } = this.context;
    const settlementId = input[0];
    const personNo = input[3];
    if (this.pending.length > 0) this.endUntil(input[1]);
    const parameters = versions.get(input[4]);
    if (!parameters) throw new Error(`settlement ${settlementId} names a policy version that is not there`);
    let person = this.persons.get(personNo);
    if (person === undefined) {
      person = { index: this.persons.size, accumulators: ZERO_ACCUMULATORS, accountShift: 0 };
      this.persons.set(personNo, person);
    }
    const before = person.accumulators;
    // The calculation keeps nothing of its input, so one input is filled in again for each
    // settlement instead of five objects made and dropped a million times.
    const scratch = this.scratch;
    scratch.parameters = parameters;
    scratch.accumulators = before;
    const terms = scratch.terms;
    terms.visitType = VISIT_TYPES[input[10]]!;
    terms.hospitalLevel = input[11];
    terms.personGroup = PERSON_GROUPS[input[12]]!;
    scratch.account.balance = input[14] + person.accountShift;
    scratch.account.use = input[13] === 1;
    const bill = scratch.bill;
    bill.medfee_sumamt = input[5];
    bill.fulamt_ownpay_amt = input[15];
    bill.overlmt_selfpay = input[16];
    bill.preselfpay_amt = input[17];
    bill.inscp_scp_amt = input[18];
    const replayed = calculateAmounts(scratch);
    person.accumulators = replayed.accumulators;
    const moved = input[8] - replayed.acct_pay;
    person.accountShift += moved;
    const endedAt = endings.size > 0 ? endings.get(settlementId) : undefined;
    if (endedAt !== undefined) {
      const ending: PendingEnding = {
        at: endedAt,
        person,
        delta: accumulatorDelta(before, replayed.accumulators),
        accountShift: moved,
      };
      let i = this.pending.length;
      while (i > 0 && this.pending[i - 1]!.at > ending.at) i--;
      this.pending.splice(i, 0, ending);
    }
    each({
      settlementId,
      personIndex: person.index,
      month: businessMonth(input[2]),
      visitType: terms.visitType,
      hospitalLevel: terms.hospitalLevel,
      personGroup: terms.personGroup,
      standing: endedAt === undefined,
      recorded: {
        medfee_sumamt: input[5],
        hifp_pay: input[6],
        hifmi_pay: input[7],
        acct_pay: input[8],
        psn_cash_pay: input[9],
      },
      replayed,
    });
  }
}

/**
 * Calls `part` with each page as it is read, its parts split `parts` ways; the next page is asked
 * for as soon as this one's end is known, so that the store reads it while this one is replayed.
 */
export async function forEachPage(
  q: Queryable,
  scope: ReplayScope,
  parts: number,
  total: number,
  options: ReplayOptions,
  page: (p: ReplayPage) => Promise<void> | void,
): Promise<number> {
  const pageSize = options.pageSize ?? 10_000;
  let done = 0;
  let next: Promise<ReplayPage> | undefined = readPage(q, scope, undefined, pageSize, parts);
  while (next) {
    if (options.stopped?.()) throw new DomainError('ANALYSIS_STOPPED', 'the replay was stopped', 503);
    const current: ReplayPage = await next;
    if (current.settlements === 0) break;
    next = current.last ? readPage(q, scope, current.last, pageSize, parts) : undefined;
    // A rejection of the page read ahead is taken when it is awaited, not left unhandled meanwhile.
    next?.catch(() => undefined);
    await page(current);
    done += current.settlements;
    await options.onProgress?.(done, total);
  }
  return done;
}

/** The replay on this thread alone. */
export async function replaySettlements(
  q: Queryable,
  scope: ReplayScope,
  each: (s: ReplayedSettlement) => void,
  options: ReplayOptions = {},
): Promise<{ replayed: number }> {
  const context = await replayContext(q, scope);
  const state = new ReplayState(context);
  const replayed = await forEachPage(q, scope, 1, context.total, options, (p) => {
    state.replayText(p.parts[0]!, each);
  });
  return { replayed };
}
