import { citizenIdCheckChar, isValidCitizenId, maskCardNumber, maskIdNumber } from '@sscard/card-core';
import type { whatif } from '@sscard/registry-protocol';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { Store } from '../store/store.js';
import { type NewFinding, keepFinding } from './findings.js';

/**
 * The data quality scan: every holder's ID number checked (a page at a time), the duplicates
 * looked for with one grouped query each, and the card reads that disagreed with the registry
 * gathered by card. Each finding is kept once; the scan answers what it found and what was new.
 */
export async function scanDataQuality(
  store: Store,
  clock: Clock,
  progress: (done: number, total: number) => Promise<void>,
  stopped: () => boolean,
): Promise<whatif.DataQualityScanResult> {
  const found: Record<string, number> = {};
  let added = 0;
  const keep = async (f: NewFinding) => {
    found[f.kind] = (found[f.kind] ?? 0) + 1;
    if (await keepFinding(store, clock, f)) added++;
  };
  const total = Number(
    (await store.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM holders'))?.n ?? 0,
  );
  let done = 0;
  let after = '';
  for (;;) {
    if (stopped()) throw new DomainError('ANALYSIS_STOPPED', 'the scan was stopped', 503);
    const rows = await store.all<{ person_no: string; id_number: string }>(
      'SELECT person_no, id_number FROM holders WHERE person_no > ? ORDER BY person_no LIMIT 5000',
      [after],
    );
    if (rows.length === 0) break;
    for (const h of rows) {
      if (isValidCitizenId(h.id_number, { now: clock() })) continue;
      const first17 = h.id_number.slice(0, 17);
      await keep({
        kind: 'ID_CHECK_CHARACTER',
        personNos: [h.person_no],
        subject: `holder ${h.person_no}`,
        details: {
          idNumber: maskIdNumber(h.id_number),
          checkCharacter: h.id_number.slice(17),
          // The check character the first 17 digits call for, when they are 17 digits.
          expected: /^[0-9]{17}$/.test(first17) ? citizenIdCheckChar(first17) : null,
        },
        dedupKey: `${h.person_no}:${h.id_number}`,
      });
    }
    done += rows.length;
    after = rows[rows.length - 1]!.person_no;
    await progress(done, Math.max(total, done));
  }

  const sameNumber = await store.all<{ key: string; people: string }>(
    `SELECT upper(id_number) AS key, ${agg(store.dialect, 'person_no')} AS people FROM holders
     GROUP BY upper(id_number) HAVING COUNT(*) > 1`,
  );
  for (const g of sameNumber) {
    const people = g.people.split(',').sort();
    await keep({
      kind: 'SAME_ID_NUMBER',
      personNos: people,
      subject: `holders ${people.join(', ')}`,
      details: { idNumber: maskIdNumber(g.key) },
      dedupKey: people.join(','),
    });
  }

  const sameName = await store.all<{ name: string; birth_date: string; region: string; people: string }>(
    `SELECT name, birth_date, region, ${agg(store.dialect, 'person_no')} AS people FROM holders
     GROUP BY name, birth_date, region HAVING COUNT(DISTINCT upper(id_number)) > 1`,
  );
  for (const g of sameName) {
    const people = g.people.split(',').sort();
    await keep({
      kind: 'POSSIBLE_DUPLICATE',
      personNos: people,
      subject: `holders ${people.join(', ')}`,
      details: { birthDate: g.birth_date, region: g.region, holders: people.length },
      dedupKey: people.join(','),
    });
  }

  const reads = await store.all<{
    card_number: string;
    person_no: string;
    reason: string;
    reads: number | string;
    last_at: string;
  }>(
    `SELECT card_number, person_no, reason, COUNT(*) AS reads, MAX(at) AS last_at FROM card_read_mismatches
     GROUP BY card_number, person_no, reason`,
  );
  for (const r of reads) {
    const last = await store.get<{
      terminal_id: string;
      read_card_number: string;
      read_ssn: string;
      read_name: string;
    }>(
      `SELECT terminal_id, read_card_number, read_ssn, read_name FROM card_read_mismatches
       WHERE card_number = ? AND reason = ? ORDER BY id DESC LIMIT 1`,
      [r.card_number, r.reason],
    );
    await keep({
      kind: 'CARD_HOLDER_MISMATCH',
      personNos: [r.person_no],
      subject: `card ${maskCardNumber(r.card_number)}`,
      details: {
        reason: r.reason,
        reads: Number(r.reads),
        lastReadAt: r.last_at,
        terminalId: last?.terminal_id ?? null,
        cardSaid: last
          ? { cardNumber: last.read_card_number, ssn: last.read_ssn, name: last.read_name }
          : null,
      },
      dedupKey: `${r.card_number}:${r.reason}`,
    });
  }
  return { holdersScanned: done, found, added };
}

/** The values of a group joined by commas. */
const agg = (dialect: Store['dialect'], column: string): string =>
  dialect === 'postgres' ? `string_agg(${column}, ',' ORDER BY ${column})` : `group_concat(${column}, ',')`;
