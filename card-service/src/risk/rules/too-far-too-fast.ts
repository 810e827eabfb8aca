import type { Queryable } from '../../store/store.js';
import type { RiskFinding } from '../alerts.js';
import { provinceDistanceKm } from './province-centres.js';
import type { RiskRule } from './rule.js';

interface Sighting {
  card_number: string;
  region: string;
  at: string;
  terminal_id: string;
}

/**
 * One holder's card present in two provinces too far apart for the time between: a cloned card,
 * or a card and its PIN in two hands.
 */
export const tooFarTooFast: RiskRule = {
  code: 'TOO_FAR_TOO_FAST',
  severity: 'high',
  words: 'the card was present in two places too far apart for the time between them',
  action: 'alert',
  async onEvent(tx, e, config) {
    const before = await tx.get<Sighting>(
      `SELECT card_number, region, at, terminal_id FROM card_presence_events
       WHERE person_no = ? AND at < ? ORDER BY at DESC LIMIT 1`,
      [e.personNo, e.at],
    );
    if (!before) return [];
    const f = judge(
      e.personNo,
      before,
      { card_number: e.cardNumber, region: e.region, at: e.at, terminal_id: e.terminalId },
      config.maxKmPerHour,
    );
    return f ? [f] : [];
  },
  async daily(q: Queryable, day, config) {
    const rows = await q.all<Sighting & { person_no: string }>(
      `SELECT person_no, card_number, region, at, terminal_id FROM card_presence_events
       WHERE person_no IN (SELECT person_no FROM card_presence_events WHERE at >= ? AND at < ?)
         AND at < ? ORDER BY person_no, at`,
      [day.from, day.to, day.to],
    );
    const out: RiskFinding[] = [];
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      if (a.person_no !== b.person_no || b.at < day.from) continue;
      const f = judge(b.person_no, a, b, config.maxKmPerHour);
      if (f) out.push(f);
    }
    return out;
  },
};

function judge(personNo: string, a: Sighting, b: Sighting, maxKmPerHour: number): RiskFinding | undefined {
  const km = provinceDistanceKm(a.region, b.region);
  if (km === 0) return undefined;
  const hours = Math.max(Date.parse(b.at) - Date.parse(a.at), 1) / 3_600_000;
  if (km / hours <= maxKmPerHour) return undefined;
  return {
    personNo,
    subject: `holder ${personNo}`,
    details: {
      from: { region: a.region, at: a.at, terminalId: a.terminal_id },
      to: { region: b.region, at: b.at, terminalId: b.terminal_id },
      km: Math.round(km),
      hours: Math.round(hours * 100) / 100,
    },
    dedupKey: `${personNo}:${a.at}:${b.at}`,
  };
}
