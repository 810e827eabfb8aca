import { MAINLAND_PROVINCE_CODES, applyBasisPoints, fen } from '@sscard/card-core';
import { insertRows } from '@sscard/card-service/store/bulk-insert';
import type { Dialect, Store } from '@sscard/card-service/store/store';
import { progress } from '../lib/report.js';
import {
  type SyntheticSettlement,
  insertSyntheticSettlements,
  insertSyntheticVisits,
} from '../lib/settlement-rows.js';

/**
 * A registry the size of a province's or a country's, written straight into the tables in large
 * batches (the console reads what the roll-up job makes of these rows, not how they came): holders
 * spread over 31 provinces × 10 cities × 10 districts, one card each with a mix of statuses and
 * its issue in the history, a year of settlements (a visit each), a year of monthly pension
 * payments for some holders, and risk alerts.
 */
const PROVINCES = MAINLAND_PROVINCE_CODES;

export function regionOf(i: number): string {
  const p = PROVINCES[i % PROVINCES.length]!;
  const city = String(1 + (Math.floor(i / PROVINCES.length) % 10)).padStart(2, '0');
  const district = String(1 + (Math.floor(i / (PROVINCES.length * 10)) % 10)).padStart(2, '0');
  return `${p}${city}${district}`;
}

/** The year of events ends today (China time): the 365 days up to it. */
const TODAY = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
export const LAST_DAY = TODAY;
export const FIRST_DAY = new Date(Date.parse(`${TODAY}T00:00:00Z`) - 364 * 86_400_000)
  .toISOString()
  .slice(0, 10);
const dayOfYear = (n: number): string =>
  new Date(Date.parse(`${FIRST_DAY}T00:00:00Z`) + (n % 365) * 86_400_000).toISOString().slice(0, 10);
/** The twelve months up to this one, oldest first. */
const MONTHS = Array.from({ length: 12 }, (_, k) => {
  const d = new Date(`${TODAY.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - 11 + k);
  return d.toISOString().slice(0, 7);
});
/** 10:00 China time on a day, as the service stores instants. */
const atOf = (day: string): string => new Date(`${day}T10:00:00.000+08:00`).toISOString();

const BATCH = 20_000;

async function inBatches(
  store: Store,
  what: string,
  count: number,
  write: (
    from: number,
    to: number,
    tx: Parameters<Parameters<Store['bulkTransaction']>[0]>[0],
  ) => Promise<void>,
): Promise<void> {
  for (let from = 0; from < count; from += BATCH) {
    const to = Math.min(count, from + BATCH);
    await store.bulkTransaction((tx) => write(from, to, tx));
    if ((from / BATCH) % 25 === 0)
      progress(`${what}: ${to.toLocaleString('en-US')} of ${count.toLocaleString('en-US')}`);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

/**
 * The holders, their cards and the cards' history are made by the store itself from a series of
 * numbers (sqlite3: a recursive common table expression; PostgreSQL: generate_series), the same
 * rows `regionOf` and the rest describe, so that ten million holders (thirty million rows) are
 * written in minutes: rows built in the script and handed over as JSON cost the event loop and the
 * store's JSON parser more than the inserts themselves.
 */
function seriesSql(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const pad = (expr: string, width: number) =>
    pg ? `lpad((${expr})::text, ${width}, '0')` : `printf('%0${width}d', ${expr})`;
  // Every province code has two digits: the i-th is two characters of one literal.
  const provinces = `substr('${PROVINCES.join('')}', ${pg ? '(' : ''}(i % ${PROVINCES.length}) * 2 + 1${pg ? ')::int' : ''}, 2)`;
  const region = `(${provinces} || ${pad(`1 + (i / ${PROVINCES.length}) % 10`, 2)} || ${pad(`1 + (i / ${PROVINCES.length * 10}) % 10`, 2)})`;
  const day = pg
    ? `to_char(CAST(? AS date) + (i % 365)::int, 'YYYY-MM-DD')`
    : `date(?, '+' || (i % 365) || ' days')`;
  const cardNumber = `('C' || ${pad('i', 8)})`;
  return {
    // The numbers [from, to) as rows of one column i.
    series: pg
      ? 'WITH n(i) AS (SELECT generate_series(CAST(? AS bigint), CAST(? AS bigint) - 1))'
      : 'WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)',
    region,
    day,
    cardNumber,
    hex16: pg ? "upper(lpad(to_hex(i), 16, '0'))" : "printf('%016X', i)",
    idNumber: `('ID' || ${pad('i', 16)})`,
  };
}

/** 10:00 China time on a day given as SQL text, as the service stores instants. */
const atOfSql = (day: string) => `(${day} || 'T02:00:00.000Z')`;

/** Rows of the series per transaction: a batch is one statement per table. */
const SERIES_BATCH = 250_000;

async function writeHolders(store: Store, holders: number): Promise<void> {
  const q = seriesSql(store.dialect);
  const holderSql = `${q.series}
    INSERT INTO holders (person_no, id_number, name, gender, ethnicity, birth_date, birthplace, region, created_at, updated_at)
    SELECT 'B' || i, ${q.idNumber}, '参保人' || (i % 1000), '1', '01', '1970-01-01', ${q.region}, ${q.region},
      ${atOfSql(q.day)}, ${atOfSql(q.day)}
    FROM n`;
  const cardSql = `${q.series}
    INSERT INTO cards (card_number, card_id_code, person_no, spec_version, card_type, algorithm, issuing_region,
      init_org, issue_date, expiry_date, status, status_changed_at, created_at)
    SELECT ${q.cardNumber}, ${q.region} || 'D156000005' || ${q.hex16}, 'B' || i, '3.00', '1', 'sm4', ${q.region},
      'bench', ${q.day}, '2036-01-01',
      CASE WHEN i % 50 = 0 THEN 'replaced' WHEN i % 33 = 0 THEN 'temporarily_lost' WHEN i % 97 = 0 THEN 'lost'
        ELSE 'active' END,
      ${atOfSql(q.day)}, ${atOfSql(q.day)}
    FROM n`;
  const historySql = (action: string, where: string) => `${q.series}
    INSERT INTO registry_history (entity, entity_id, action, changes, actor, at)
    SELECT 'card', ${q.cardNumber}, '${action}', '{}', 'bench', ${atOfSql(q.day)} FROM n${where}`;
  for (let from = 0; from < holders; from += SERIES_BATCH) {
    const to = Math.min(holders, from + SERIES_BATCH);
    await store.bulkTransaction(async (tx) => {
      await tx.run(holderSql, [from, to, FIRST_DAY, FIRST_DAY]);
      await tx.run(cardSql, [from, to, FIRST_DAY, FIRST_DAY, FIRST_DAY]);
      await tx.run(historySql('issue', ''), [from, to, FIRST_DAY]);
      await tx.run(historySql('reportTemporaryLoss', ' WHERE i % 33 = 0'), [from, to, FIRST_DAY]);
    });
    if ((from / SERIES_BATCH) % 4 === 0)
      progress(`holders and cards: ${to.toLocaleString('en-US')} of ${holders.toLocaleString('en-US')}`);
  }
}

/**
 * Pensions for every `holders / pensioners`-th holder, from the same series: the entitlement, and a
 * payment for each of the twelve months to this one whose paying day (the 5th) has come.
 */
async function writePensions(store: Store, holders: number, pensioners: number): Promise<void> {
  const q = seriesSql(store.dialect);
  const step = Math.max(1, Math.floor(holders / pensioners));
  const paid = MONTHS.filter((month) => `${month}-05` <= TODAY);
  // The pensioner k is the holder k × step.
  const pensionersOf = `(SELECT i * ${step} AS i FROM n) p`;
  const entitlementSql = `${q.series}
    INSERT INTO pension_entitlements (person_no, monthly_amount, first_month, paying_region, status, created_at,
      updated_at, certified_until)
    SELECT 'B' || i, 300000, '${MONTHS[0]}', ${q.region}, 'active', '${atOf(FIRST_DAY)}', '${atOf(FIRST_DAY)}',
      -- One in seven has let the certification lapse.
      CASE WHEN i % 7 = 0 THEN '${FIRST_DAY}' ELSE '${Number(TODAY.slice(0, 4)) + 1}-06-30' END
    FROM ${pensionersOf}`;
  const paymentSql = `${q.series}, months(month) AS (VALUES ${paid.map((m) => `('${m}')`).join(', ')})
    INSERT INTO pension_payments (person_no, month, amount, paying_region, run_month, paid_at, txn_id)
    SELECT 'B' || i, month, 300000, ${q.region}, month, month || '-05T02:00:00.000Z', 'P' || i || '-' || month
    FROM ${pensionersOf} CROSS JOIN months`;
  const batch = Math.max(1, Math.floor(SERIES_BATCH / 12));
  for (let from = 0; from < pensioners; from += batch) {
    const to = Math.min(pensioners, from + batch);
    await store.bulkTransaction(async (tx) => {
      await tx.run(entitlementSql, [from, to]);
      if (paid.length > 0) await tx.run(paymentSql, [from, to]);
    });
    if ((from / batch) % 20 === 0)
      progress(
        `pension entitlements and a year of payments: ${to.toLocaleString('en-US')} of ${pensioners.toLocaleString('en-US')}`,
      );
  }
}

export async function writeRegistry(
  store: Store,
  sizes: { holders: number; settlements: number; pensioners: number },
): Promise<void> {
  const { holders, settlements, pensioners } = sizes;
  await writeHolders(store, holders);
  await inBatches(store, 'settlements', settlements, async (from, to, tx) => {
    const holderOf = (s: number) => (s * 7919) % holders;
    const rows = range(from, to).map((s): SyntheticSettlement => {
      const h = holderOf(s);
      const day = dayOfYear(s);
      const fee = 10_000 + (s % 90_000);
      // 60 % from the fund and 15 % from the account, rounded half-up to the fen as the engine does.
      const fund = applyBasisPoints(fen(fee), 6000);
      const account = applyBasisPoints(fen(fee), 1500);
      return {
        settlementId: `S${s}`,
        visitId: `V${s}`,
        quoteId: `Q${s}`,
        attemptKey: `A${s}`,
        terminalId: 'bench-desk',
        institutionId: 'bench-hospital',
        cardNumber: `C${String(h).padStart(8, '0')}`,
        personNo: `B${h}`,
        scheme: '310',
        insuredRegion: regionOf(h),
        treatmentRegion: regionOf(h),
        personGroup: 'in_service',
        visitType: 'outpatient',
        hospitalLevel: '2',
        hisVisitNo: `H${s}`,
        at: atOf(day),
        businessDate: day,
        policyYear: day.slice(0, 4),
        policyVersion: '1',
        breakdown: '{}',
        accumulatorsDelta: '{}',
        medfeeSumamt: String(fee),
        hifpPay: String(fund),
        hifmiPay: '0',
        acctPay: String(account),
        psnCashPay: String(fee - fund - account),
      };
    });
    await insertSyntheticVisits(tx, rows);
    await insertSyntheticSettlements(tx, rows);
  });
  await writePensions(store, holders, pensioners);
  const alerts = Math.max(1, Math.floor(settlements / 1000));
  await inBatches(store, 'risk alerts', alerts, async (from, to, tx) => {
    await insertRows(
      tx,
      'risk_alerts',
      [
        'alert_id',
        'rule_code',
        'severity',
        'action',
        'person_no',
        'subject',
        'words',
        'details',
        'dedup_key',
        'raised_at',
      ],
      range(from, to).map((a) => {
        const h = (a * 104_729) % holders;
        return [
          `R${a}`,
          a % 3 === 0 ? 'TOO_FAR_TOO_FAST' : 'TOO_MANY_SETTLEMENTS',
          'medium',
          'alert',
          `B${h}`,
          `holder B${h}`,
          'bench',
          '{}',
          `bench:${a}`,
          atOf(dayOfYear(a)),
        ];
      }),
    );
  });
}
