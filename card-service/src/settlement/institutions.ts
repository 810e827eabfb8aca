import type { HospitalLevel } from '@sscard/registry-protocol/settlement';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type Actor, auditActor } from '../registry/actor.js';
import type { Queryable, Store } from '../store/store.js';

/**
 * Medical institutions (hospitals and pharmacies) with their region and level, and the terminals
 * that settle for them. A terminal's certificate says it is a hospital or pharmacy desk; which
 * institution it settles for, and so the hospital level the policy looks up, is the operator's
 * record here, never the terminal's claim.
 */
export interface Institution {
  institutionId: string;
  name: string;
  region: string;
  level: HospitalLevel;
  createdAt: string;
}

interface Row {
  institution_id: string;
  name: string;
  region: string;
  level: number | string;
  created_at: string;
}

const fromRow = (r: Row): Institution => ({
  institutionId: r.institution_id,
  name: r.name,
  region: r.region,
  level: Number(r.level) as HospitalLevel,
  createdAt: r.created_at,
});

export async function createInstitution(
  store: Store,
  clock: Clock,
  input: Omit<Institution, 'createdAt'>,
  actor: Actor,
): Promise<Institution> {
  const institution: Institution = { ...input, createdAt: clock().toISOString() };
  return store.transaction(async (tx) => {
    if (await tx.get('SELECT 1 AS x FROM institutions WHERE institution_id = ?', [input.institutionId])) {
      throw new DomainError('INSTITUTION_EXISTS', `institution ${input.institutionId} exists`, 409);
    }
    await tx.run(
      'INSERT INTO institutions (institution_id, name, region, level, created_at) VALUES (?, ?, ?, ?, ?)',
      [
        institution.institutionId,
        institution.name,
        institution.region,
        institution.level,
        institution.createdAt,
      ],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'settlement.createInstitution',
      subject: `institution ${institution.institutionId}`,
      result: 'ok',
      details: { region: institution.region, level: institution.level },
    });
    return institution;
  });
}

/** Assigns a hospital or pharmacy terminal to an institution (again: moves it). */
export async function assignTerminal(
  store: Store,
  clock: Clock,
  institutionId: string,
  terminalId: string,
  actor: Actor,
): Promise<{ institutionId: string; terminalId: string }> {
  return store.transaction(async (tx) => {
    if (!(await tx.get('SELECT 1 AS x FROM institutions WHERE institution_id = ?', [institutionId]))) {
      throw notFound('institution');
    }
    const terminal = await tx.get<{ type: string }>('SELECT type FROM terminals WHERE terminal_id = ?', [
      terminalId,
    ]);
    if (!terminal) throw notFound('terminal');
    if (terminal.type !== 'hospital' && terminal.type !== 'pharmacy') {
      throw new DomainError('TERMINAL_TYPE_FORBIDDEN', 'only hospital and pharmacy terminals settle', 409);
    }
    const at = clock().toISOString();
    await tx.run(
      `INSERT INTO institution_terminals (terminal_id, institution_id, assigned_at) VALUES (?, ?, ?)
       ON CONFLICT (terminal_id) DO UPDATE SET institution_id = excluded.institution_id, assigned_at = excluded.assigned_at`,
      [terminalId, institutionId, at],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'settlement.assignTerminal',
      subject: `terminal ${terminalId}`,
      result: 'ok',
      details: { institutionId },
    });
    return { institutionId, terminalId };
  });
}

/** The institution an operator assigned the terminal to, if any. */
export async function findInstitutionOfTerminal(
  q: Queryable,
  terminalId: string,
): Promise<Institution | undefined> {
  const row = await q.get<Row>(
    `SELECT i.institution_id, i.name, i.region, i.level, i.created_at
     FROM institution_terminals t JOIN institutions i ON i.institution_id = t.institution_id
     WHERE t.terminal_id = ?`,
    [terminalId],
  );
  return row && fromRow(row);
}

/** The refusal of a terminal that settles for no institution. */
export const noInstitution = (): DomainError =>
  new DomainError('INSTITUTION_MISSING', 'this terminal is not assigned to an institution', 403);

export async function institutionOfTerminal(q: Queryable, terminalId: string): Promise<Institution> {
  const institution = await findInstitutionOfTerminal(q, terminalId);
  if (!institution) throw noInstitution();
  return institution;
}
