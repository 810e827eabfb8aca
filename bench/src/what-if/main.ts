import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@sscard/card-service/clock';
import { SYSTEM } from '@sscard/card-service/registry/actor';
import { calculate } from '@sscard/card-service/settlement/calculation';
import { publishPolicy } from '@sscard/card-service/settlement/policies';
import { REPLAY_INPUT_COLUMNS, replayInputRow } from '@sscard/card-service/settlement/replay-inputs';
import { insertRows } from '@sscard/card-service/store/bulk-insert';
import { openStore } from '@sscard/card-service/store/open-store';
import type { Store } from '@sscard/card-service/store/store';
import { runPolicyWhatIf } from '@sscard/card-service/whatif/policy-whatif';
import type { whatif } from '@sscard/registry-protocol';
import {
  type Accumulators,
  type PersonGroup,
  type PolicyParameters,
  type PricedLine,
  type VisitType,
  ZERO_ACCUMULATORS,
} from '@sscard/registry-protocol/settlement';
import { repoRoot, startPostgres, tempDir } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import {
  type SyntheticSettlement,
  insertSyntheticSettlements,
  insertSyntheticVisits,
} from '../lib/settlement-rows.js';
import { summarise } from '../lib/stats.js';
import { heading, num, progress, say, table, verdict, x } from '../lib/report.js';

export const description =
  'the policy what-if replay of a year of recorded settlements (sqlite3 and PostgreSQL), settlements per second and wall time, beside the settlement calculation alone over the same bills';

const YEAR = 2026;
const examples = join(repoRoot, 'card-service', 'docs', 'settlement-examples');
const example = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));

/** A small deterministic generator, so two runs replay the same year. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Visit {
  person: number;
  bill: number;
  visitType: VisitType;
  level: 1 | 2 | 3;
  group: PersonGroup;
  useAccount: boolean;
}

/** Bills of the example items in varied quantities: each settlement takes one of them. */
function billPool(rnd: () => number, size: number): PricedLine[][] {
  const items = [
    ...example('outpatient-bill.json').lines,
    ...example('inpatient-bill.json').lines,
  ] as PricedLine[];
  return Array.from({ length: size }, () => {
    const n = 1 + Math.floor(rnd() * 4);
    return Array.from({ length: n }, () => {
      const item = items[Math.floor(rnd() * items.length)]!;
      return { ...item, quantity: 1 + Math.floor(rnd() * 5) };
    });
  });
}

/**
 * A year of settlements recorded as the engine records them: each calculated in order with the
 * person's accumulators and account, then written with its visit, lines and quote in bulk.
 */
async function record(
  store: Store,
  parameters: PolicyParameters,
  visits: readonly Visit[],
  bills: readonly PricedLine[][],
  persons: number,
): Promise<void> {
  const acc: Accumulators[] = Array.from({ length: persons }, () => ({ ...ZERO_ACCUMULATORS }));
  const balance = Array.from({ length: persons }, () => 200_000);
  const start = Date.parse(`${YEAR}-01-01T00:00:00+08:00`);
  const step = Math.floor((365 * 86_400_000) / (visits.length + 1));
  const batch = 5000;
  for (let from = 0; from < visits.length; from += batch) {
    const rows: SyntheticSettlement[] = [];
    const l: (string | number | null)[][] = [];
    const q: (string | number | null)[][] = [];
    const r: (string | number)[][] = [];
    for (let i = from; i < Math.min(visits.length, from + batch); i++) {
      const visit = visits[i]!;
      const lines = bills[visit.bill]!;
      const before = acc[visit.person]!;
      const b = calculate({
        parameters,
        accumulators: before,
        terms: { visitType: visit.visitType, hospitalLevel: visit.level, personGroup: visit.group },
        lines,
        account: { balance: balance[visit.person]!, use: visit.useAccount },
      });
      const at = new Date(start + (i + 1) * step).toISOString();
      const date = new Date(start + (i + 1) * step + 8 * 3_600_000).toISOString().slice(0, 10);
      const id = `S${String(i).padStart(9, '0')}`;
      const personNo = `P${String(visit.person).padStart(8, '0')}`;
      for (const [n, line] of lines.entries()) {
        l.push([
          `V${id}`,
          n + 1,
          line.itemCode,
          line.unitPrice,
          line.quantity,
          line.itemClass,
          line.preSelfPayShare,
          line.priceCeiling,
        ]);
      }
      q.push([
        `Q${id}`,
        `V${id}`,
        '-',
        visit.useAccount ? 1 : 0,
        balance[visit.person]!,
        JSON.stringify(before),
        YEAR,
        1,
        '{}',
        at,
        at,
      ]);
      const delta = {
        outpatientDeductiblePaid: b.accumulators.outpatientDeductiblePaid - before.outpatientDeductiblePaid,
        pooledFundUsed: b.accumulators.pooledFundUsed - before.pooledFundUsed,
        largeExpenseDeductiblePaid:
          b.accumulators.largeExpenseDeductiblePaid - before.largeExpenseDeductiblePaid,
        largeExpenseFundUsed: b.accumulators.largeExpenseFundUsed - before.largeExpenseFundUsed,
      };
      rows.push({
        settlementId: id,
        visitId: `V${id}`,
        quoteId: `Q${id}`,
        attemptKey: id,
        terminalId: 'bench-desk',
        institutionId: `H${visit.level}`,
        cardNumber: `C${visit.person}`,
        personNo,
        scheme: '310',
        insuredRegion: '330300',
        treatmentRegion: '330300',
        personGroup: visit.group,
        visitType: visit.visitType,
        hospitalLevel: visit.level,
        hisVisitNo: id,
        at,
        businessDate: date,
        policyYear: YEAR,
        policyVersion: 1,
        breakdown: JSON.stringify(b),
        accumulatorsDelta: JSON.stringify(delta),
        medfeeSumamt: b.medfee_sumamt,
        hifpPay: b.hifp_pay,
        hifmiPay: b.hifmi_pay,
        acctPay: b.acct_pay,
        psnCashPay: b.psn_cash_pay,
      });
      r.push(
        replayInputRow({
          settlementId: id,
          insuredRegion: '330300',
          scheme: '310',
          settledAt: at,
          businessDate: date,
          personNo,
          policyVersion: 1,
          terms: { visitType: visit.visitType, hospitalLevel: visit.level, personGroup: visit.group },
          useAccount: visit.useAccount,
          accountBalance: balance[visit.person]!,
          breakdown: b,
        }),
      );
      acc[visit.person] = b.accumulators;
      balance[visit.person] = b.balc;
    }
    await store.bulkTransaction(async (tx) => {
      await insertSyntheticVisits(tx, rows);
      await insertRows(
        tx,
        'settlement_bill_lines',
        [
          'visit_id',
          'line_no:BIGINT',
          'item_code',
          'unit_price:BIGINT',
          'quantity:BIGINT',
          'item_class',
          'pre_self_pay_share:BIGINT',
          'price_ceiling:BIGINT',
        ],
        l,
      );
      await insertRows(
        tx,
        'settlement_quotes',
        [
          'quote_id',
          'visit_id',
          'bill_hash',
          'use_account:BIGINT',
          'account_balance:BIGINT',
          'accumulators',
          'policy_year:BIGINT',
          'policy_version:BIGINT',
          'breakdown',
          'created_at',
          'expires_at',
        ],
        q,
      );
      await insertSyntheticSettlements(tx, rows);
      await insertRows(tx, 'settlement_replay_inputs', REPLAY_INPUT_COLUMNS, r);
    });
    if ((from / batch) % 20 === 0) progress(`recorded ${num(from + rows.length)} of ${num(visits.length)}`);
  }
}

/** The calculation alone over the same visits and bills, with accumulators and accounts as the replay keeps them. */
function calculationAlone(
  parameters: PolicyParameters,
  visits: readonly Visit[],
  bills: readonly PricedLine[][],
  persons: number,
): { ms: number; pooled: number } {
  const acc: Accumulators[] = Array.from({ length: persons }, () => ZERO_ACCUMULATORS);
  const balance = Array.from({ length: persons }, () => 200_000);
  let pooled = 0;
  const t0 = performance.now();
  for (const visit of visits) {
    const b = calculate({
      parameters,
      accumulators: acc[visit.person]!,
      terms: { visitType: visit.visitType, hospitalLevel: visit.level, personGroup: visit.group },
      lines: bills[visit.bill]!,
      account: { balance: balance[visit.person]!, use: visit.useAccount },
    });
    acc[visit.person] = b.accumulators;
    balance[visit.person] = b.balc;
    pooled += b.hifp_pay;
  }
  return { ms: performance.now() - t0, pooled };
}

const median = (values: readonly number[]): number => summarise(values).median;

/** The store's durability settings, printed with the figures. */
async function settingsOf(store: Store): Promise<Record<string, string>> {
  return store.dialect === 'postgres'
    ? ((await store.get<Record<string, string>>(
        `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
           current_setting('shared_buffers') AS shared_buffers`,
      )) ?? {})
    : {
        ...(await store.get<Record<string, string>>('PRAGMA synchronous')),
        ...(await store.get<Record<string, string>>('PRAGMA journal_mode')),
      };
}

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    settlements: { default: '200000' },
    persons: { default: '0' },
    engines: { default: 'sqlite,postgres' },
    rounds: { default: '3' },
    threads: { default: String(Math.min(availableParallelism(), 4)) },
  });
  const threads = positiveInt('threads', f.threads);
  const rounds = positiveInt('rounds', f.rounds);
  const n = positiveInt('settlements', f.settlements);
  const persons = f.persons === '0' ? Math.max(1, Math.floor(n / 8)) : positiveInt('persons', f.persons);
  const engines = f.engines.split(',').map((e) => e.trim());
  heading('what-if');
  say(`machine: ${describeMachine()}`);
  const policy = example('policy-330300-310-2026.json');
  const parameters = policy.parameters as PolicyParameters;
  const rnd = random(7);
  const bills = billPool(rnd, 2000);
  const visits: Visit[] = Array.from({ length: n }, () => ({
    person: Math.floor(rnd() * persons),
    bill: Math.floor(rnd() * bills.length),
    visitType: rnd() < 0.85 ? 'outpatient' : 'inpatient',
    level: (1 + Math.floor(rnd() * 3)) as 1 | 2 | 3,
    group: rnd() < 0.3 ? 'retired' : 'in_service',
    useAccount: rnd() < 0.6,
  }));
  const changed: PolicyParameters = {
    ...parameters,
    outpatientDeductible: { '1': 0, '2': 0, '3': 0 },
  };
  const forecast: whatif.PolicyWhatIfRequest['forecast'] = {
    firstMonth: `${YEAR + 1}-01`,
    months: 24,
    method: 'seasonal',
    growthBp: 0,
    warningMonths: 3,
    pooled: { openingBalance: 0, monthlyIncome: 0 },
    largeExpense: { openingBalance: 0, monthlyIncome: 0 },
  };
  for (const engineName of engines) {
    const dir = await tempDir('sscard-bench-whatif-');
    const pg = engineName === 'postgres' ? await startPostgres({ durable: true }) : undefined;
    const store = await openStore({ databaseUrl: pg ? pg.url : join(dir, 'registry.db'), dataDir: dir });
    try {
      say(
        `${engineName}: ${JSON.stringify(await settingsOf(store))}${store.dialect === 'sqlite' ? ' (synchronous 2 = FULL)' : ''}`,
      );
      await publishPolicy(store, systemClock, policy, SYSTEM);
      progress(`${engineName}: recording ${num(n)} settlements of ${num(persons)} holders`);
      await record(store, parameters, visits, bills, persons);
      // Rounds of the calculation alone and the replay, one after the other, so that the load of
      // the shared machine falls on both alike; the ratio of each round, and their median.
      const rows: string[][] = [];
      const ratios: number[] = [];
      const singleRatios: number[] = [];
      const walls: number[] = [];
      let agrees = true;
      for (let round = 1; round <= rounds; round++) {
        const alone = calculationAlone(changed, visits, bills, persons);
        const request = {
          region: '330300',
          scheme: '310' as const,
          year: YEAR,
          changes: { outpatientDeductible: changed.outpatientDeductible },
          forecast,
        };
        progress(
          `${engineName}: round ${round} of ${rounds}, replaying under the changed policy on one thread`,
        );
        const t1 = performance.now();
        const single = await runPolicyWhatIf(store, request, { threads: 1 });
        const singleMs = performance.now() - t1;
        progress(
          `${engineName}: round ${round} of ${rounds}, replaying under the changed policy on ${threads} threads`,
        );
        const t0 = performance.now();
        const replay = await runPolicyWhatIf(store, request, { threads });
        const replayMs = performance.now() - t0;
        agrees &&=
          replay.funds.after.pooled === alone.pooled &&
          replay.settlements + replay.ended === n &&
          JSON.stringify(single) === JSON.stringify(replay);
        ratios.push(alone.ms / replayMs);
        singleRatios.push(alone.ms / singleMs);
        walls.push(replayMs / 1000);
        rows.push([
          String(round),
          num(alone.ms / 1000, 2),
          num((n * 1000) / alone.ms),
          num(singleMs / 1000, 2),
          x(alone.ms / singleMs),
          num(replayMs / 1000, 2),
          num((n * 1000) / replayMs),
          x(alone.ms / replayMs),
          loadavg()[0]!.toFixed(2),
        ]);
      }
      progress(
        `${engineName}: replaying under the unchanged policy (every settlement must come out as recorded)`,
      );
      const identity = await runPolicyWhatIf(
        store,
        { region: '330300', scheme: '310', year: YEAR, changes: {}, forecast },
        { threads },
      );
      say(
        table(
          [
            'round',
            'alone s',
            'alone /s',
            '1 thread s',
            '1 thread ÷ alone',
            `${threads} threads s`,
            `${threads} threads /s`,
            `${threads} threads ÷ alone`,
            'load 1 min',
          ],
          rows,
        ),
      );
      say(
        `(calculation alone: in memory, one thread; replay: ${engineName}, paged, ${num(n)} settlements, split by person over ${threads} threads, and on one)`,
      );
      say(
        `replay agrees with the calculation alone and with itself on one thread: ${agrees ? 'yes' : 'NO'} (pooled fund after, fen; whole result)`,
      );
      say(`unchanged policy: ${num(identity.changedSettlements)} settlements changed (must be 0)`);
      const ratio = median(ratios);
      const wall = median(walls);
      say(`replay on one thread / calculation alone, median of ${rounds}: ${x(median(singleRatios))}`);
      say(
        `replay (${threads} threads) / calculation alone, median of ${rounds}: ${x(ratio)}  (${verdict(ratio, '>=', 0.5)})`,
      );
      say(`replay wall time, median of ${rounds}: ${num(wall, 1)} s  (${verdict(wall, '<', 60, 0)})`);
      say(
        `load average after the replays: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
    } finally {
      await store.close();
      await pg?.stop();
    }
  }
}
