import { MAINLAND_PROVINCE_CODES } from '@sscard/card-core';
import { insertRows } from '@sscard/card-service/store/bulk-insert';
import type { Store } from '@sscard/card-service/store/store';
import { progress } from '../lib/report.js';

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

export async function writeRegistry(
  store: Store,
  sizes: { holders: number; settlements: number; pensioners: number },
): Promise<void> {
  const { holders, settlements, pensioners } = sizes;
  await inBatches(store, 'holders and cards', holders, async (from, to, tx) => {
    const ids = range(from, to);
    await insertRows(
      tx,
      'holders',
      [
        'person_no',
        'id_number',
        'name',
        'gender',
        'ethnicity',
        'birth_date',
        'birthplace',
        'region',
        'created_at',
        'updated_at',
      ],
      ids.map((i) => {
        const at = atOf(dayOfYear(i));
        return [
          `B${i}`,
          `ID${String(i).padStart(16, '0')}`,
          `参保人${i % 1000}`,
          '1',
          '01',
          '1970-01-01',
          regionOf(i),
          regionOf(i),
          at,
          at,
        ];
      }),
    );
    await insertRows(
      tx,
      'cards',
      [
        'card_number',
        'card_id_code',
        'person_no',
        'spec_version',
        'card_type',
        'algorithm',
        'issuing_region',
        'init_org',
        'issue_date',
        'expiry_date',
        'status',
        'status_changed_at',
        'created_at',
      ],
      ids.map((i) => {
        const day = dayOfYear(i);
        const status =
          i % 50 === 0 ? 'replaced' : i % 33 === 0 ? 'temporarily_lost' : i % 97 === 0 ? 'lost' : 'active';
        return [
          `C${String(i).padStart(8, '0')}`,
          `${regionOf(i)}D156000005${i.toString(16).toUpperCase().padStart(16, '0')}`,
          `B${i}`,
          '3.00',
          '1',
          'sm4',
          regionOf(i),
          'bench',
          day,
          '2036-01-01',
          status,
          atOf(day),
          atOf(day),
        ];
      }),
    );
    await insertRows(
      tx,
      'registry_history',
      ['entity', 'entity_id', 'action', 'changes', 'actor', 'at'],
      ids.flatMap((i) => {
        const at = atOf(dayOfYear(i));
        const issue = ['card', `C${String(i).padStart(8, '0')}`, 'issue', '{}', 'bench', at];
        return i % 33 === 0
          ? [issue, ['card', `C${String(i).padStart(8, '0')}`, 'reportTemporaryLoss', '{}', 'bench', at]]
          : [issue];
      }),
    );
  });
  await inBatches(store, 'settlements', settlements, async (from, to, tx) => {
    const ids = range(from, to);
    const holderOf = (s: number) => (s * 7919) % holders;
    await insertRows(
      tx,
      'settlement_visits',
      [
        'visit_id',
        'terminal_id',
        'institution_id',
        'treatment_region',
        'card_number',
        'person_no',
        'scheme',
        'insured_region',
        'person_group',
        'visit_type',
        'hospital_level:BIGINT',
        'his_visit_no',
        'registered_at',
      ],
      ids.map((s) => {
        const h = holderOf(s);
        return [
          `V${s}`,
          'bench-desk',
          'bench-hospital',
          regionOf(h),
          `C${String(h).padStart(8, '0')}`,
          `B${h}`,
          '310',
          regionOf(h),
          'in_service',
          'outpatient',
          '2',
          `H${s}`,
          atOf(dayOfYear(s)),
        ];
      }),
    );
    await insertRows(
      tx,
      'settlements',
      [
        'settlement_id',
        'visit_id',
        'quote_id',
        'terminal_id',
        'attempt_key',
        'institution_id',
        'card_number',
        'person_no',
        'scheme',
        'insured_region',
        'treatment_region',
        'policy_year:BIGINT',
        'policy_version:BIGINT',
        'settled_at',
        'business_date',
        'breakdown',
        'accumulators_delta',
        'medfee_sumamt:BIGINT',
        'hifp_pay:BIGINT',
        'hifmi_pay:BIGINT',
        'acct_pay:BIGINT',
        'psn_cash_pay:BIGINT',
      ],
      ids.map((s) => {
        const h = holderOf(s);
        const day = dayOfYear(s);
        const fee = 10_000 + (s % 90_000);
        const fund = Math.floor(fee * 0.6);
        const account = Math.floor(fee * 0.15);
        return [
          `S${s}`,
          `V${s}`,
          `Q${s}`,
          'bench-desk',
          `A${s}`,
          'bench-hospital',
          `C${String(h).padStart(8, '0')}`,
          `B${h}`,
          '310',
          regionOf(h),
          regionOf(h),
          day.slice(0, 4),
          '1',
          atOf(day),
          day,
          '{}',
          '{}',
          String(fee),
          String(fund),
          '0',
          String(account),
          String(fee - fund - account),
        ];
      }),
    );
  });
  await inBatches(store, 'pension entitlements and a year of payments', pensioners, async (from, to, tx) => {
    const ids = range(from, to).map((k) => k * Math.max(1, Math.floor(holders / pensioners)));
    await insertRows(
      tx,
      'pension_entitlements',
      [
        'person_no',
        'monthly_amount:BIGINT',
        'first_month',
        'paying_region',
        'status',
        'created_at',
        'updated_at',
        'certified_until',
      ],
      ids.map((h) => [
        `B${h}`,
        '300000',
        MONTHS[0]!,
        regionOf(h),
        'active',
        atOf(FIRST_DAY),
        atOf(FIRST_DAY),
        // One in seven has let the certification lapse.
        h % 7 === 0 ? FIRST_DAY : `${Number(TODAY.slice(0, 4)) + 1}-06-30`,
      ]),
    );
    await insertRows(
      tx,
      'pension_payments',
      ['person_no', 'month', 'amount:BIGINT', 'paying_region', 'run_month', 'paid_at', 'txn_id'],
      ids.flatMap((h) =>
        MONTHS.filter((month) => `${month}-05` <= TODAY).map((month) => [
          `B${h}`,
          month,
          '300000',
          regionOf(h),
          month,
          atOf(`${month}-05`),
          `P${h}-${month}`,
        ]),
      ),
    );
  });
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
