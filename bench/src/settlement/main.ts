import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeCitizenId } from '@sscard/card-core';
import { chinaDate, systemClock } from '@sscard/card-service/clock';
import { testIssuerKeyset } from '@sscard/card-service/testing/api-fixture';
import { AuditWriter } from '@sscard/card-service/audit/audit-writer';
import { CardPresence } from '@sscard/card-service/card-auth/card-presence';
import { HsmClient } from '@sscard/card-service/hsm/hsm-client';
import { startTestHsm } from '@sscard/card-service/testing/hsm-fixture';
import { cardAuthKey, proofWithKey } from '@sscard/card-service/testing/settlement-fixture';
import { SYSTEM } from '@sscard/card-service/registry/actor';
import { Registry } from '@sscard/card-service/registry';
import { loadItems } from '@sscard/card-service/settlement/catalogue';
import { SettlementEngine } from '@sscard/card-service/settlement/engine';
import { assignTerminal, createInstitution } from '@sscard/card-service/settlement/institutions';
import { verifyLedger } from '@sscard/card-service/settlement/ledger';
import { publishPolicy } from '@sscard/card-service/settlement/policies';
import { openStore } from '@sscard/card-service/store/open-store';
import type { Store } from '@sscard/card-service/store/store';
import { type Postgres, repoRoot, startPostgres, tempDir } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import { heading, num, progress, say, table, verdict, x } from '../lib/report.js';

export const description =
  'durable settlements per second (register, bill lines, pre-settle, settle with ledger posting) on sqlite3 (synchronous=FULL) and on a durable PostgreSQL, beside pgbench TPC-B on the same server';

/** The desk's journal sequence: idempotency keys are never reused within a run. */
let seq = 0;
const BENCH_OPERATOR = { kind: 'operator' as const, id: 'bench' };
const examples = join(repoRoot, 'card-service', 'docs', 'settlement-examples');
const example = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));

type Phase = 'register' | 'bill' | 'pre-settle' | 'settle';

interface Desk {
  personNo: string;
  cardNumber: string;
  cardIdCode: string;
  algorithm: '3des' | 'sm4';
}

/** A store with the example policy for this year, its catalogue, one institution and desk, and one insured card per worker. */
async function prepare(store: Store, workers: number): Promise<Desk[]> {
  const year = Number(chinaDate(new Date()).slice(0, 4));
  await publishPolicy(
    store,
    systemClock,
    { ...example('policy-330300-310-2026.json'), year, effectiveFrom: `${year}-01-01` },
    SYSTEM,
  );
  const lines = example('outpatient-bill.json').lines as {
    itemCode: string;
    itemClass: 'A' | 'B' | 'C';
    preSelfPayShare: number;
    priceCeiling: number | null;
  }[];
  await loadItems(
    store,
    systemClock,
    '330300',
    lines.map((l) => ({
      itemCode: l.itemCode,
      name: l.itemCode,
      itemClass: l.itemClass,
      preSelfPayShare: l.preSelfPayShare,
      priceCeiling: l.priceCeiling,
    })),
    SYSTEM,
  );
  await store.run(
    `INSERT INTO terminals (terminal_id, type, region, status, created_at) VALUES ('bench-desk', 'hospital', '330300', 'active', ?)`,
    [new Date().toISOString()],
  );
  await createInstitution(
    store,
    systemClock,
    { institutionId: 'H-BENCH', name: 'Bench Hospital', region: '330300', level: 2 },
    SYSTEM,
  );
  await assignTerminal(store, systemClock, 'H-BENCH', 'bench-desk', SYSTEM);
  const registry = new Registry(store, systemClock, {
    temporaryLossDays: 7,
    temporaryCardDays: 90,
    cardValidityYears: 10,
  });
  const desks: Desk[] = [];
  for (let i = 0; i < workers; i++) {
    const holder = await registry.createHolder(
      {
        idNumber: makeCitizenId('330302', '19700101', 700 + i),
        name: '测试',
        ethnicity: '01',
        region: '330300',
      },
      [{ schemeCode: '310', insuredRegion: '330300', startDate: '2010-01-01' }],
      SYSTEM,
    );
    const issued = await registry.issueCard(holder.personNo, { generation: 3 }, SYSTEM);
    await registry.applyCardEvent(issued.card.cardNumber, 'activateSocialSecurity', BENCH_OPERATOR);
    desks.push({
      personNo: holder.personNo,
      cardNumber: issued.card.cardNumber,
      cardIdCode: issued.card.cardIdCode,
      algorithm: issued.card.algorithm,
    });
  }
  return desks;
}

/** Each worker settles the example outpatient bill for its own card, one settlement after another. */
async function settleLoop(
  engine: SettlementEngine,
  keys: ReturnType<typeof testIssuerKeyset>['keys'],
  desks: readonly Desk[],
  perWorker: number,
): Promise<{ settled: number; seconds: number; cpuMs: number; phases: Record<Phase, number> }> {
  const lines = (
    example('outpatient-bill.json').lines as { itemCode: string; unitPrice: number; quantity: number }[]
  ).map((l, i) => ({ lineNo: i + 1, itemCode: l.itemCode, unitPrice: l.unitPrice, quantity: l.quantity }));
  const key = () => `bench-desk:${process.pid}:${++seq}`;
  const caller = () => ({ terminalId: 'bench-desk', key: key() });
  const phases: Record<Phase, number> = { register: 0, bill: 0, 'pre-settle': 0, settle: 0 };
  /** Each phase's summed latency over all desks, to see which step the time goes to. */
  const timed = async <T>(phase: Phase, step: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await step();
    } finally {
      phases[phase] += performance.now() - t;
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  let settled = 0;
  await Promise.all(
    desks.map(async (d) => {
      const cardKey = cardAuthKey(keys, d);
      for (let i = 0; i < perWorker; i++) {
        const visit = await timed('register', () =>
          engine.register(caller(), {
            cardNumber: d.cardNumber,
            scheme: '310',
            visitType: 'outpatient',
            hisVisitNo: `B${i}`,
          }),
        );
        await timed('bill', () => engine.addBillLines(caller(), visit.visitId, lines));
        const quote = await timed('pre-settle', () => engine.preSettle(caller(), visit.visitId, true));
        // The card answers the challenge that came with the quote.
        const ch = quote.challenge;
        const cryptogram = proofWithKey(d.algorithm, cardKey, ch.challenge, 'payment');
        await timed('settle', () =>
          engine.settle(caller(), {
            quoteId: quote.quoteId,
            proof: { challengeId: ch.challengeId, cryptogram },
          }),
        );
        settled++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    settled,
    seconds: (performance.now() - started) / 1000,
    cpuMs: (used.user + used.system) / 1000,
    phases,
  };
}

/** Statements and transactions the engine sends to the store, counted to relate time to round trips. */
interface Traffic {
  statements: number;
  transactions: number;
  /** Statements by the start of their text (`--statements yes`), else undefined. */
  byText?: Map<string, number>;
}

/** A statement's text, white space folded, cut to a length that tells statements apart. */
const statementLabel = (sql: unknown) => String(sql).replace(/\s+/g, ' ').trim().slice(0, 100);

function counted<Q extends object>(target: Q, traffic: Traffic): Q {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'all' || prop === 'get' || prop === 'run')
        return (...args: unknown[]) => {
          traffic.statements++;
          if (traffic.byText) {
            const label = statementLabel(args[0]);
            traffic.byText.set(label, (traffic.byText.get(label) ?? 0) + 1);
          }
          return value.apply(obj, args);
        };
      if (prop === 'transaction' || prop === 'bulkTransaction')
        return (fn: (tx: object) => Promise<unknown>) => {
          traffic.transactions++;
          return value.call(obj, (tx: object) => fn(counted(tx, traffic)));
        };
      return value.bind(obj);
    },
  });
}

const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function pgbench(pg: Postgres, clients: number, seconds: number): number {
  const common = ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres'];
  const init = spawnSync('pgbench', [...common, '-i', '-q', '-s', String(clients), 'sscard'], {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`pgbench -i: ${init.stderr}`);
  const runBench = spawnSync(
    'pgbench',
    [...common, '-c', String(clients), '-j', '2', '-T', String(seconds), '-M', 'prepared', 'sscard'],
    { encoding: 'utf8' },
  );
  const m = /tps = ([0-9.]+) \(without initial connection time\)/.exec(runBench.stdout);
  if (runBench.status !== 0 || !m) throw new Error(`pgbench: ${runBench.stderr}${runBench.stdout}`);
  return Number(m[1]);
}

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    workers: { default: '16' },
    settlements: { default: '1600' },
    'pgbench-seconds': { default: '15' },
    engines: { default: 'sqlite,postgres' },
    // NORMAL skips the sync at each commit (WAL): not durable, only to measure what the syncs cost.
    'sqlite-synchronous': { default: 'FULL' },
    // yes: also print the statements per settlement by their text, to see where they go.
    statements: { default: 'no' },
  });
  const synchronous = f['sqlite-synchronous'];
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL')
    throw new Error('--sqlite-synchronous: FULL or NORMAL');
  const workers = positiveInt('workers', f.workers);
  const perWorker = Math.max(1, Math.ceil(positiveInt('settlements', f.settlements) / workers));
  const engines = f.engines.split(',').map((e) => e.trim());
  heading('settlement');
  say(`machine: ${describeMachine()}`);
  const rows: string[][] = [];
  const results: Record<string, number> = {};
  for (const engineName of engines) {
    const dir = await tempDir('sscard-bench-settle-');
    const pg = engineName === 'postgres' ? await startPostgres({ durable: true }) : undefined;
    const { keyset, keys } = testIssuerKeyset();
    const hsm = await startTestHsm(dir, keyset);
    const store = await openStore({ databaseUrl: pg ? pg.url : join(dir, 'registry.db'), dataDir: dir });
    const client = new HsmClient({ socketPath: hsm.socketPath });
    let audit: AuditWriter | undefined;
    try {
      // `run` goes to the one writer connection, the only one that commits.
      if (store.dialect === 'sqlite' && synchronous === 'NORMAL')
        await store.run('PRAGMA synchronous = NORMAL');
      const settings =
        store.dialect === 'postgres'
          ? await store.get<Record<string, string>>(
              "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, current_setting('full_page_writes') AS full_page_writes",
            )
          : // The writer's setting: reads go to read-only connections with their own.
            await store.transaction((tx) => tx.get<Record<string, string>>('PRAGMA synchronous'));
      say(
        `${engineName}: ${JSON.stringify(settings)}${store.dialect === 'sqlite' ? ' (2 = FULL, 1 = NORMAL), journal_mode WAL' : ''}`,
      );
      progress(`${engineName}: preparing ${workers} desks`);
      const desks = await prepare(store, workers);
      const traffic: Traffic = { statements: 0, transactions: 0 };
      const seen = counted(store, traffic);
      const presence = new CardPresence(seen, systemClock, client, 60);
      // As the service builds it: on PostgreSQL the settles' audit entries are chained in batches.
      audit = new AuditWriter(seen, systemClock);
      const engine = new SettlementEngine(seen, systemClock, presence, 300, undefined, audit);
      await settleLoop(engine, keys, desks, 2); // warm-up
      traffic.statements = 0;
      traffic.transactions = 0;
      if (f.statements === 'yes') traffic.byText = new Map();
      progress(`${engineName}: ${workers * perWorker} settlements`);
      const r = await settleLoop(engine, keys, desks, perWorker);
      const rate = r.settled / r.seconds;
      results[engineName] = rate;
      const ledger = await verifyLedger(store);
      if (!ledger.ok) throw new Error(`the ledger does not balance after the run: ${ledger.problem}`);
      rows.push([
        `settlements, ${engineName}`,
        num(r.settled),
        num(rate, 1),
        `ledger ok, ${num(ledger.transactions)} transactions; load ${loadAverage()}`,
      ]);
      const perSettlement = (ms: number) => `${num(ms / r.settled, 2)} ms`;
      say(
        `${engineName}: mean latency per settlement by step — ${Object.entries(r.phases)
          .map(([phase, ms]) => `${phase} ${perSettlement(ms)}`)
          .join(
            ', ',
          )}; process CPU ${perSettlement(r.cpuMs)}, ${num(traffic.statements / r.settled, 1)} statements and ${num(traffic.transactions / r.settled, 1)} transactions per settlement`,
      );
      if (traffic.byText) {
        const counts = [...traffic.byText].sort((a, b) => b[1] - a[1]);
        say(`${engineName}: statements per settlement by text`);
        for (const [label, n] of counts) say(`  ${num(n / r.settled, 2).padStart(5)}  ${label}`);
      }
      if (pg) {
        progress('pgbench TPC-B on the same server');
        const tps = pgbench(pg, workers, positiveInt('pgbench-seconds', f['pgbench-seconds']));
        results.pgbench = tps;
        rows.push([
          'pgbench TPC-B, same server',
          '',
          num(tps, 1),
          `-c ${workers} -j 2 -M prepared, scale ${workers}; load ${loadAverage()}`,
        ]);
      }
    } finally {
      await audit?.close();
      await client.close();
      await store.close();
      await hsm.stop();
      await pg?.stop();
    }
  }
  say(table(['run', 'count', 'per second', 'notes'], rows));
  if (results.postgres !== undefined && results.pgbench !== undefined) {
    const ratio = results.postgres / results.pgbench;
    say(`PostgreSQL settlements / pgbench TPC-B transactions: ${x(ratio)}  (${verdict(ratio, '>=', 0.5)})`);
  }
  if (results.sqlite !== undefined) {
    say(
      `sqlite3 settlements per second: ${num(results.sqlite, 1)}  (${verdict(results.sqlite, '>=', 1000, 0)})`,
    );
  }
}
