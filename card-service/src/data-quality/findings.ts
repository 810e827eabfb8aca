import { randomUUID } from 'node:crypto';
import { maskIdNumber, validateCitizenId } from '@sscard/card-core';
import type { whatif } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { updateHolderIn } from '../registry/holders.js';
import { recordHistory } from '../registry/queries.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';

/**
 * Data quality findings (docs/data-quality.md): each kept once by what it found (`dedupKey`), open
 * until an operator resolves it with a correction of the registry or a dismissal, in one audited
 * transaction.
 */
interface FindingRow {
  finding_id: string;
  kind: whatif.FindingKind;
  person_nos: string;
  subject: string;
  details: string;
  found_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution: string | null;
  note: string | null;
}

const fromRow = (r: FindingRow): whatif.Finding => ({
  findingId: r.finding_id,
  kind: r.kind,
  personNos: JSON.parse(r.person_nos) as string[],
  subject: r.subject,
  details: JSON.parse(r.details) as Record<string, unknown>,
  foundAt: r.found_at,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
  note: r.note,
});

export interface NewFinding {
  kind: whatif.FindingKind;
  personNos: string[];
  subject: string;
  details: Record<string, unknown>;
  dedupKey: string;
}

/** Keeps a finding unless the same was found before; answers whether it was new. */
export async function keepFinding(q: Queryable, clock: Clock, f: NewFinding): Promise<boolean> {
  const r = await q.run(
    `INSERT INTO data_quality_findings (finding_id, kind, dedup_key, person_nos, subject, details, found_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING`,
    [
      randomUUID(),
      f.kind,
      `${f.kind}:${f.dedupKey}`,
      JSON.stringify(f.personNos),
      f.subject,
      JSON.stringify(f.details),
      clock().toISOString(),
    ],
  );
  return r.changes > 0;
}

export async function listFindings(
  q: Queryable,
  filter: { status: 'open' | 'resolved' | 'all'; kind?: whatif.FindingKind | undefined; limit: number },
): Promise<whatif.Finding[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.status === 'open') where.push('resolved_at IS NULL');
  if (filter.status === 'resolved') where.push('resolved_at IS NOT NULL');
  if (filter.kind) {
    where.push('kind = ?');
    params.push(filter.kind);
  }
  params.push(filter.limit);
  const rows = await q.all<FindingRow>(
    `SELECT * FROM data_quality_findings${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
     ORDER BY found_at DESC, finding_id LIMIT ?`,
    params,
  );
  return rows.map(fromRow);
}

export async function resolveFinding(
  store: Store,
  clock: Clock,
  findingId: string,
  body: whatif.ResolveFinding,
  actor: Actor,
): Promise<whatif.Finding> {
  return store.transaction(async (tx) => {
    const row = await tx.get<FindingRow>(
      `SELECT * FROM data_quality_findings WHERE finding_id = ?${forUpdate(tx.dialect)}`,
      [findingId],
    );
    if (!row) throw notFound('finding');
    if (row.resolved_at !== null) {
      throw new DomainError('FINDING_RESOLVED', 'the finding was resolved already', 409, {
        resolvedAt: row.resolved_at,
      });
    }
    const finding = fromRow(row);
    const action = body.action;
    if (action.kind !== 'dismiss' && !finding.personNos.includes(action.personNo)) {
      throw new DomainError(
        'CORRECTION_NOT_OF_FINDING',
        'the correction names a holder the finding is not about',
        422,
      );
    }
    const at = clock().toISOString();
    if (action.kind === 'correctIdNumber')
      await correctIdNumber(tx, clock, action.personNo, action.idNumber, actor, at);
    if (action.kind === 'correctHolder')
      await updateHolderIn(tx, clock, action.personNo, action.changes, actor);
    const by = actorLabel(actor);
    await tx.run(
      `UPDATE data_quality_findings SET resolved_at = ?, resolved_by = ?, resolution = ?, note = ?
       WHERE finding_id = ? AND resolved_at IS NULL`,
      [at, by, action.kind, body.note, findingId],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'dataQuality.resolve',
      subject: finding.subject,
      result: 'ok',
      details: { findingId, kind: finding.kind, resolution: action.kind, note: body.note },
    });
    return { ...finding, resolvedAt: at, resolvedBy: by, resolution: action.kind, note: body.note };
  });
}

/**
 * An ID number corrected in the registry: a valid number no other holder has, with its history
 * and audit entry. The card still carries the old number until it is replaced, and its reads then
 * show as mismatches, which is the point.
 */
async function correctIdNumber(
  tx: Queryable,
  clock: Clock,
  personNo: string,
  idNumber: string,
  actor: Actor,
  at: string,
): Promise<void> {
  try {
    validateCitizenId(idNumber, { now: clock() });
  } catch {
    throw new DomainError(
      'VALIDATION_FAILED',
      'the corrected ID number is not a valid citizen ID number',
      422,
    );
  }
  const holder = await tx.get<{ id_number: string }>(
    `SELECT id_number FROM holders WHERE person_no = ?${forUpdate(tx.dialect)}`,
    [personNo],
  );
  if (!holder) throw notFound('holder');
  const other = await tx.get<{ person_no: string }>(
    'SELECT person_no FROM holders WHERE id_number = ? AND person_no <> ?',
    [idNumber, personNo],
  );
  if (other) throw new DomainError('ID_NUMBER_TAKEN', 'another holder has this ID number', 409);
  await tx.run('UPDATE holders SET id_number = ?, updated_at = ? WHERE person_no = ?', [
    idNumber,
    at,
    personNo,
  ]);
  await recordHistory(tx, {
    entity: 'holder',
    entityId: personNo,
    action: 'correctIdNumber',
    changes: { idNumber: [maskIdNumber(holder.id_number), maskIdNumber(idNumber)] },
    actor: actorLabel(actor),
    at,
  });
  await appendAudit(tx, clock, {
    ...auditActor(actor),
    action: 'holder.correctIdNumber',
    subject: `holder ${personNo}`,
    result: 'ok',
    details: { from: maskIdNumber(holder.id_number), to: maskIdNumber(idNumber) },
  });
}
