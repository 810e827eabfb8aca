import { join } from 'node:path';
import { makeCitizenId } from '@sscard/card-core';
import { chinaDate, systemClock } from '@sscard/card-service/clock';
import { cycleEnd } from '@sscard/card-service/pension/entitlements';
import { chinaMonth } from '@sscard/card-service/pension/months';
import { runPensionMonth } from '@sscard/card-service/pension/monthly-run';
import { holderFromInput } from '@sscard/card-service/registry/holders';
import { insertHolders } from '@sscard/card-service/registry/queries';
import { verifyLedger } from '@sscard/card-service/settlement/ledger';
import { insertRows } from '@sscard/card-service/store/bulk-insert';
import { openStore } from '@sscard/card-service/store/open-store';
import type { Store } from '@sscard/card-service/store/store';
import { startPostgres, tempDir } from '@sscard/test-harness';
import { flags, positiveInt } from '../lib/args.js';
import { describeMachine } from '../lib/machine.js';
import { heading, num, progress, say, table, x } from '../lib/report.js';

export const description =
  'the monthly pension run (entitlements → payments → ledger, exactly once per holder and month) on sqlite3 (synchronous=FULL) and a durable PostgreSQL, against a bare bulk insert of the same ledger rows';

const REGIONS = ['330100', '330200', '330300', '330400'];

/** Holders and their entitlements, loaded in bulk (not measured): each paying 2,000–3,000 yuan from this month. */
async function load(store: Store, count: number, month: string): Promise<void> {
  const now = new Date();
  const today = chinaDate(now);
  const chunk = 20_000;
  for (let start = 0; start < count; start += chunk) {
    const holders: ReturnType<typeof holderFromInput>[] = [];
    const entitlements: (string | number)[][] = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      // A distinct ID number per holder: a birth date per thousand, a sequence within it.
      const birth = new Date(Date.UTC(1940, 0, 1) + Math.floor(i / 1000) * 86_400_000);
      const h = holderFromInput(
        {
          personNo: `B${String(i).padStart(9, '0')}`,
          idNumber: makeCitizenId('330302', birth.toISOString().slice(0, 10).replace(/-/g, ''), i % 1000),
          name: '退休',
          ethnicity: '01',
          region: '330300',
        },
        now,
      );
      holders.push(h);
      entitlements.push([
        h.personNo,
        200_000 + (i % 100_000),
        month,
        REGIONS[i % REGIONS.length]!,
        'active',
        cycleEnd(today),
        now.toISOString(),
        now.toISOString(),
      ]);
    }
    await store.bulkTransaction(async (tx) => {
      await insertHolders(tx, holders);
      await insertRows(
        tx,
        'pension_entitlements',
        [
          'person_no',
          'monthly_amount:BIGINT',
          'first_month',
          'paying_region',
          'status',
          'certified_until',
          'created_at',
          'updated_at',
        ],
        entitlements,
      );
    });
    progress(`loaded ${num(Math.min(count, start + chunk))} of ${num(count)} pensioners`);
  }
}

/**
 * The baseline: the very ledger rows the run posted, copied out, inserted again into a table of
 * the same shape and indexes in transactions of the same size, each committed durably — what
 * writing the ledger costs with nothing else (no selection, no payments, no balances, no audit).
 */
async function bareInsert(store: Store, batch: number): Promise<{ rows: number; seconds: number }> {
  await store.run(
    `CREATE TABLE bench_ledger_entries (txn_id TEXT NOT NULL, kind TEXT NOT NULL, account TEXT NOT NULL,
       amount BIGINT NOT NULL, at TEXT NOT NULL)`,
  );
  await store.run('CREATE INDEX bench_ledger_entries_txn ON bench_ledger_entries (txn_id)');
  await store.run('CREATE INDEX bench_ledger_entries_account ON bench_ledger_entries (account)');
  const rows = (
    await store.all<{ txn_id: string; kind: string; account: string; amount: number | string; at: string }>(
      "SELECT txn_id, kind, account, amount, at FROM ledger_entries WHERE kind = 'pension_payment' ORDER BY entry_id",
    )
  ).map((r) => [r.txn_id, r.kind, r.account, Number(r.amount), r.at] as const);
  // Two entries per payment: a run's batch of holders is this many rows.
  const perTxn = batch * 2;
  const started = performance.now();
  for (let i = 0; i < rows.length; i += perTxn) {
    await store.transaction((tx) =>
      insertRows(
        tx,
        'bench_ledger_entries',
        ['txn_id', 'kind', 'account', 'amount:BIGINT', 'at'],
        rows.slice(i, i + perTxn),
      ),
    );
  }
  return { rows: rows.length, seconds: (performance.now() - started) / 1000 };
}

export async function run(argv: readonly string[]): Promise<void> {
  const f = flags(argv, {
    // The full size of the issue is --pensioners 1000000 (bench/README.md).
    pensioners: { default: '100000' },
    batch: { default: '2000' },
    engines: { default: 'sqlite,postgres' },
  });
  const count = positiveInt('pensioners', f.pensioners);
  const batch = positiveInt('batch', f.batch);
  const engines = f.engines.split(',').map((e) => e.trim());
  const month = chinaMonth(new Date());
  heading('pension-run');
  say(`machine: ${describeMachine()}`);
  say(
    `${num(count)} pensioners in ${REGIONS.length} paying regions, month ${month}, ${num(batch)} holders per transaction`,
  );
  const rows: string[][] = [];
  for (const engineName of engines) {
    const dir = await tempDir('sscard-bench-pension-');
    const pg = engineName === 'postgres' ? await startPostgres({ durable: true }) : undefined;
    const store = await openStore({ databaseUrl: pg ? pg.url : join(dir, 'registry.db'), dataDir: dir });
    try {
      const settings =
        store.dialect === 'postgres'
          ? await store.get<Record<string, string>>(
              `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit,
                 current_setting('full_page_writes') AS full_page_writes, current_setting('wal_level') AS wal_level,
                 current_setting('shared_buffers') AS shared_buffers`,
            )
          : {
              ...(await store.get<Record<string, string>>('PRAGMA synchronous')),
              ...(await store.get<Record<string, string>>('PRAGMA journal_mode')),
            };
      say(
        `${engineName}: ${JSON.stringify(settings)}${store.dialect === 'sqlite' ? ' (synchronous 2 = FULL)' : ''}`,
      );
      await load(store, count, month);
      progress(`${engineName}: the run`);
      const started = performance.now();
      let lastSaid = started;
      const reports = await runPensionMonth(store, systemClock, {
        month,
        batchSize: batch,
        progress: ({ region, done, total }) => {
          if (performance.now() - lastSaid < 5000) return;
          lastSaid = performance.now();
          progress(`${engineName} ${region}: ${num(done)} of ${num(total)}`);
        },
      });
      const seconds = (performance.now() - started) / 1000;
      const payments = reports.reduce((s, r) => s + r.payments, 0);
      if (payments !== count) throw new Error(`the run paid ${payments} of ${count}`);
      const ledger = await verifyLedger(store);
      if (!ledger.ok) throw new Error(`the ledger does not balance after the run: ${ledger.problem}`);
      progress(`${engineName}: the bare insert of the same ledger rows`);
      const bare = await bareInsert(store, batch);
      rows.push([
        `monthly run, ${engineName}`,
        num(payments),
        num(seconds, 1),
        num(payments / seconds),
        x(seconds / bare.seconds),
      ]);
      rows.push([
        `bare ledger insert, ${engineName}`,
        num(bare.rows),
        num(bare.seconds, 1),
        num(bare.rows / 2 / bare.seconds),
        '1.00',
      ]);
    } finally {
      await store.close();
      await pg?.stop();
    }
  }
  say(table(['what', 'rows', 'seconds', 'payments/s', 'time ÷ bare insert'], rows));
  say('(a bare insert row count is ledger entries, two per payment; its payments/s counts pairs)');
}
