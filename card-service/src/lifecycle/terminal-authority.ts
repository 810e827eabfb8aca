import { DAY_MS, chinaDate } from '../clock.js';
import type { ServiceConfig } from '../config.js';
import { type Queryable, forUpdate } from '../store/store.js';

/**
 * What a terminal may do to a card beyond what its type allows (the lifecycle table): act only on
 * cards of regions it serves, and only so often a day.
 *
 * Regions. A terminal acts on the cards of its own province (the first two digits of the region
 * codes agree), and on other regions only by a grant in the configuration. The province is the
 * unit because that is where a card's records live: each province runs its own registry
 * (DESIGN.md §5), and within it the cities share one platform, so a citizen of Wenzhou may report
 * a loss at a Hangzhou hall. A card of another province is that province's registry's to change;
 * a grant is for the exceptions an authority agrees to (a border county's hall serving the
 * neighbouring city, a bank whose branches span two provinces), named by region prefixes.
 */
export type TerminalAuthorityConfig = ServiceConfig['terminalAuthority'];
export type RegionGrant = TerminalAuthorityConfig['regionGrants'][number];

const province = (region: string): string => region.slice(0, 2);

export function regionMayAct(
  terminalRegion: string,
  cardRegion: string,
  grants: readonly RegionGrant[],
): boolean {
  if (province(terminalRegion) === province(cardRegion)) return true;
  return grants.some(
    (g) => terminalRegion.startsWith(g.terminalRegion) && cardRegion.startsWith(g.cardRegion),
  );
}

/** One terminal's lifecycle requests on one China calendar day (`terminal_daily_use`). */
export interface DailyUse {
  day: string;
  /** Requests that reached a decision on the card: applied or refused. */
  events: number;
  /** Requests for card numbers the registry does not know. */
  unknownCards: number;
  /** Whether today's first refusal for the event cap, or for probing, has been audited. */
  eventsRefused: boolean;
  probingRefused: boolean;
}

export type DailyCounter = 'events' | 'unknown_cards' | 'events_refused' | 'probing_refused';

export const usageDay = (now: Date): string => chinaDate(now);

/** Seconds from `now` to the next China midnight, when the caps start again. */
export function secondsToNextDay(now: Date): number {
  const nextMidnight = Date.parse(`${chinaDate(now)}T00:00:00+08:00`) + DAY_MS;
  return Math.max(1, Math.ceil((nextMidnight - now.getTime()) / 1000));
}

async function ensureRow(tx: Queryable, terminalId: string, day: string): Promise<void> {
  await tx.run('INSERT INTO terminal_daily_use (terminal_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING', [
    terminalId,
    day,
  ]);
}

/**
 * The terminal's use today, its row locked until the transaction ends: two requests of one
 * terminal (on one service process or two) count one after the other.
 */
export async function lockDailyUse(tx: Queryable, terminalId: string, day: string): Promise<DailyUse> {
  await ensureRow(tx, terminalId, day);
  const row = await tx.get<{
    events: number;
    unknown_cards: number;
    events_refused: number;
    probing_refused: number;
  }>(
    `SELECT events, unknown_cards, events_refused, probing_refused FROM terminal_daily_use
     WHERE terminal_id = ? AND day = ?${forUpdate(tx.dialect)}`,
    [terminalId, day],
  );
  return {
    day,
    events: Number(row?.events ?? 0),
    unknownCards: Number(row?.unknown_cards ?? 0),
    eventsRefused: Number(row?.events_refused ?? 0) > 0,
    probingRefused: Number(row?.probing_refused ?? 0) > 0,
  };
}

export async function countDailyUse(
  tx: Queryable,
  terminalId: string,
  day: string,
  counter: DailyCounter,
): Promise<void> {
  await ensureRow(tx, terminalId, day);
  await tx.run(
    `UPDATE terminal_daily_use SET ${counter} = ${counter} + 1 WHERE terminal_id = ? AND day = ?`,
    [terminalId, day],
  );
}
