import type { Logger } from '@sscard/log';
import type { whatif } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import { type Clock, addDays, chinaDate } from '../clock.js';
import { notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import type { Queryable, Store } from '../store/store.js';
import { checkFunds } from './fund-warnings.js';

/**
 * Standing fund checks: the settings an operator left for a region's funds, which the service's
 * daily job (run with the statistics roll-up) checks once a China day, as of the last complete
 * month, raising the warnings as risk alerts like a check asked for over the API. A day's check is
 * claimed in the transaction that raises its alerts, so two service processes, or two runs on one
 * day, check it once; the alerts themselves are raised once per warning in any case.
 */
interface WatchRow {
  region: string;
  scheme: string;
  settings: string;
  set_by: string;
  set_at: string;
  last_checked_day: string | null;
  last_checked_as_of: string | null;
}

const watchOf = (r: WatchRow): whatif.FundWatch => ({
  ...(JSON.parse(r.settings) as whatif.FundWatchRequest),
  setBy: r.set_by,
  setAt: r.set_at,
  lastCheckedDay: r.last_checked_day,
  lastCheckedAsOf: r.last_checked_as_of,
});

const COLUMNS = 'region, scheme, settings, set_by, set_at, last_checked_day, last_checked_as_of';

export async function listFundWatches(q: Queryable): Promise<whatif.FundWatch[]> {
  const rows = await q.all<WatchRow>(`SELECT ${COLUMNS} FROM fund_watches ORDER BY region, scheme`);
  return rows.map(watchOf);
}

/** Sets (or replaces) a region's standing check; new settings are checked again on the next run. */
export async function setFundWatch(
  store: Store,
  clock: Clock,
  body: whatif.FundWatchRequest,
  actor: Actor,
): Promise<whatif.FundWatch> {
  const at = clock().toISOString();
  return store.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO fund_watches (${COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, NULL)
       ON CONFLICT (region, scheme) DO UPDATE SET settings = excluded.settings, set_by = excluded.set_by,
         set_at = excluded.set_at, last_checked_day = NULL, last_checked_as_of = NULL`,
      [body.region, body.scheme, JSON.stringify(body), actorLabel(actor), at],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'funds.watch',
      subject: `funds ${body.region}/${body.scheme}`,
      result: 'ok',
      details: { warningMonths: body.warningMonths, seasonalShareBp: body.seasonalShareBp },
    });
    const row = await tx.get<WatchRow>(
      `SELECT ${COLUMNS} FROM fund_watches WHERE region = ? AND scheme = ?`,
      [body.region, body.scheme],
    );
    return watchOf(row!);
  });
}

export async function removeFundWatch(
  store: Store,
  clock: Clock,
  key: { region: string; scheme: string },
  actor: Actor,
): Promise<whatif.FundWatch[]> {
  await store.transaction(async (tx) => {
    const r = await tx.run('DELETE FROM fund_watches WHERE region = ? AND scheme = ?', [
      key.region,
      key.scheme,
    ]);
    if (r.changes === 0) throw notFound(`no standing fund check of ${key.region}/${key.scheme}`);
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'funds.unwatch',
      subject: `funds ${key.region}/${key.scheme}`,
      result: 'ok',
      details: {},
    });
  });
  return listFundWatches(store);
}

/** The last month whose figures are complete on a China day: the month before it. */
const lastCompleteMonth = (day: string): string => addDays(`${day.slice(0, 7)}-01`, -1).slice(0, 7);

/**
 * The daily run: every standing check not yet checked on `now`'s China day is checked as of the
 * month before. One region's failure is logged and does not keep the others from their check.
 */
export async function runFundWatches(
  store: Store,
  clock: Clock,
  now: Date,
  log: Logger,
): Promise<{ checked: number; warnings: number }> {
  const day = chinaDate(now);
  const asOf = lastCompleteMonth(day);
  const due = await store.all<WatchRow>(
    `SELECT ${COLUMNS} FROM fund_watches WHERE last_checked_day IS NULL OR last_checked_day < ?`,
    [day],
  );
  let checked = 0;
  let warnings = 0;
  for (const row of due) {
    const settings = JSON.parse(row.settings) as whatif.FundWatchRequest;
    try {
      let claimed = false;
      const result = await checkFunds(store, clock, { ...settings, asOf }, async (tx) => {
        // Claimed only if the settings are still those read: a change since is checked next run.
        const r = await tx.run(
          `UPDATE fund_watches SET last_checked_day = ?, last_checked_as_of = ?
           WHERE region = ? AND scheme = ? AND set_at = ? AND (last_checked_day IS NULL OR last_checked_day < ?)`,
          [day, asOf, row.region, row.scheme, row.set_at, day],
        );
        claimed = r.changes === 1;
        return claimed;
      });
      if (claimed) {
        checked++;
        warnings += result.warnings.filter((w) => w.alertId !== null).length;
      }
    } catch (e) {
      log.error('daily fund check failed', {
        region: row.region,
        scheme: row.scheme,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }
  return { checked, warnings };
}
