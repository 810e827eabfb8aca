import type { PersonGroup } from '@sscard/registry-protocol/settlement';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { recordHistory } from '../registry/queries.js';
import { type Store, forUpdate } from '../store/store.js';

/**
 * Whether the insured person is in service or retired under a relation: the person group whose
 * reimbursement ratio applies. A visit records the group it was registered with.
 */
export async function setPersonGroup(
  store: Store,
  clock: Clock,
  relationId: string,
  personGroup: PersonGroup,
  actor: Actor,
): Promise<{ relationId: string; personGroup: PersonGroup }> {
  return store.transaction(async (tx) => {
    const row = await tx.get<{ person_no: string; person_group: PersonGroup }>(
      `SELECT person_no, person_group FROM insurance_relations WHERE relation_id = ?${forUpdate(tx.dialect)}`,
      [relationId],
    );
    if (!row) throw notFound('insurance relation', { relationId });
    if (row.person_group !== personGroup) {
      const at = clock().toISOString();
      await tx.run('UPDATE insurance_relations SET person_group = ? WHERE relation_id = ?', [
        personGroup,
        relationId,
      ]);
      await recordHistory(tx, {
        entity: 'relation',
        entityId: relationId,
        action: 'personGroup',
        changes: { personGroup: [row.person_group, personGroup] },
        actor: actorLabel(actor),
        at,
      });
      await appendAudit(tx, clock, {
        ...auditActor(actor),
        action: 'relation.personGroup',
        subject: `holder ${row.person_no}`,
        result: 'ok',
        details: { relationId, personGroup },
      });
    }
    return { relationId, personGroup };
  });
}
