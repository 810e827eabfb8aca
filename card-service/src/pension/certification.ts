import { createHash } from 'node:crypto';
import type { pension } from '@sscard/registry-protocol';
import { canonicalJson } from '../audit/canonical-json.js';
import { type Clock, addDays, chinaDate } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import type { CardPresence } from '../card-auth/card-presence.js';
import type { Actor } from '../registry/actor.js';
import { lockIdempotencyKey, storeResult, storedResult } from '../registry/idempotency.js';
import type { PresenceKind } from '../registry/presence-log.js';
import { getCard } from '../registry/queries.js';
import { type Queryable, type Store, inJsonArray } from '../store/store.js';
import { cycleEnd, entitlementRecord, getEntitlement, recordChange, writeStatus } from './entitlements.js';

type Certification = pension.PensionCertification;
type CertificationAnswer = { certification: Certification; entitlement: pension.PensionEntitlement };

/** Which behaviour certifies silently, and how recent it must be. */
export interface SilentCertification {
  windowMonths: number;
  events: readonly PresenceKind[];
}

/**
 * Records a certification in the caller's transaction: the entitlement's cycle now ends 12 months
 * after it (never earlier than it did), and a pension suspended because its last cycle lapsed is
 * active again — the next run pays the months withheld.
 */
export async function certify(
  tx: Queryable,
  clock: Clock,
  c: Omit<Certification, 'validUntil'>,
  actor: Actor,
): Promise<CertificationAnswer> {
  const e = await getEntitlement(tx, c.personNo, true);
  if (!e || e.status === 'stopped') {
    throw new DomainError(
      'PENSION_NOT_CERTIFIABLE',
      e ? 'the pension is stopped' : 'the holder has no pension entitlement',
      409,
    );
  }
  const certification: Certification = { ...c, validUntil: cycleEnd(chinaDate(new Date(c.certifiedAt))) };
  await tx.run(
    `INSERT INTO pension_certifications (person_no, certified_at, method, valid_until, terminal_id, operator_id, evidence, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      c.personNo,
      c.certifiedAt,
      c.method,
      certification.validUntil,
      c.terminalId,
      c.operatorId,
      JSON.stringify(c.evidence),
      clock().toISOString(),
    ],
  );
  const resumes = e.status === 'suspended' && e.suspendedFor === 'certification';
  const after: pension.PensionEntitlement = {
    ...e,
    certifiedUntil: [certification.validUntil, e.certifiedUntil].sort()[1]!,
    ...(resumes ? { status: 'active' as const, suspendedFor: null } : {}),
    updatedAt: clock().toISOString(),
  };
  await writeStatus(tx, after);
  await recordChange(tx, clock, after, 'certify', c.method, actor, {
    method: c.method,
    certifiedAt: c.certifiedAt,
    validUntil: certification.validUntil,
  });
  if (resumes) await recordChange(tx, clock, after, 'resume', 'certified again', actor);
  return { certification, entitlement: after };
}

/** A certification made before an operator at a bureau office. */
export async function certifyAtBureau(
  store: Store,
  clock: Clock,
  personNo: string,
  note: string | undefined,
  actor: Actor,
): Promise<CertificationAnswer> {
  return store.transaction((tx) =>
    certify(
      tx,
      clock,
      {
        personNo,
        certifiedAt: clock().toISOString(),
        method: 'bureau',
        terminalId: null,
        operatorId: actor.id,
        evidence: note ? { note } : {},
      },
      actor,
    ),
  );
}

/** A refusal that must still commit: a refused proof has spent its challenge. */
class Refusal {
  constructor(readonly error: DomainError) {}
}

/**
 * A certification at a kiosk or bank counter: the holder's own active card, answering this
 * terminal's challenge after its PIN was verified (a payment proof), once per idempotency key.
 * The HSM is asked before the transaction, so a slow HSM never holds the store's locks.
 */
export async function certifyWithCard(
  store: Store,
  clock: Clock,
  presence: CardPresence,
  terminal: { terminalId: string; type: 'kiosk' | 'bank'; region: string },
  idempotencyKey: string,
  body: { cardNumber: string; proof: { challengeId: string; cryptogram: string } },
): Promise<CertificationAnswer & { replayed?: boolean }> {
  const key = {
    terminalId: terminal.terminalId,
    key: idempotencyKey,
    requestHash: createHash('sha256')
      .update(canonicalJson({ op: 'pensionCertify', cardNumber: body.cardNumber }))
      .digest('hex'),
  };
  const earlier = await storedResult<CertificationAnswer>(store, key);
  if (earlier) return { ...earlier, replayed: true };
  const card = await getCard(store, body.cardNumber);
  const verdict = card
    ? await presence.judge(terminal.terminalId, { ...body.proof, cardIdCode: card.cardIdCode }, 'payment')
    : 'invalid';
  const actor: Actor = {
    kind: 'terminal',
    id: terminal.terminalId,
    type: terminal.type,
    region: terminal.region,
  };
  const result = await store.transaction(
    async (tx): Promise<(CertificationAnswer & { replayed?: boolean }) | Refusal> => {
      await lockIdempotencyKey(tx, key);
      const stored = await storedResult<CertificationAnswer>(tx, key);
      if (stored) return { ...stored, replayed: true };
      const current = await getCard(tx, body.cardNumber);
      if (!current) throw notFound('card');
      const proof = await presence.verifyIn(
        tx,
        terminal.terminalId,
        { ...body.proof, cardIdCode: current.cardIdCode },
        verdict,
      );
      if (!proof.verified) {
        return new Refusal(
          proof.reason === 'PIN_NOT_VERIFIED'
            ? new DomainError('PIN_NOT_VERIFIED', 'the card answered without a verified PIN', 403)
            : new DomainError('CARD_PRESENCE_FAILED', 'the card-present proof was refused', 403, {
                reason: proof.reason,
              }),
        );
      }
      if (current.status !== 'active') {
        return new Refusal(
          new DomainError('CARD_NOT_ACTIVE', 'a certification needs the holder’s active card', 409, {
            status: current.status,
          }),
        );
      }
      const answer = await certify(
        tx,
        clock,
        {
          personNo: current.personNo,
          certifiedAt: clock().toISOString(),
          method: terminal.type,
          terminalId: terminal.terminalId,
          operatorId: null,
          evidence: {
            cardNumber: current.cardNumber,
            challengeId: body.proof.challengeId,
            region: terminal.region,
          },
        },
        actor,
      );
      await storeResult(tx, key, 200, answer, clock().toISOString());
      return answer;
    },
  );
  if (result instanceof Refusal) throw result.error;
  return result;
}

/**
 * Of the holders given (whose cycle has lapsed), those with counted behaviour since the window's
 * start, with their latest such event: the behaviour certifies them as of its time.
 */
export async function silentEvidence(
  tx: Queryable,
  personNos: readonly string[],
  since: string,
  events: readonly PresenceKind[],
): Promise<Map<string, { kind: string; at: string; region: string; terminalId: string }>> {
  const found = new Map<string, { kind: string; at: string; region: string; terminalId: string }>();
  if (personNos.length === 0 || events.length === 0) return found;
  const rows = await tx.all<{
    person_no: string;
    kind: string;
    at: string;
    region: string;
    terminal_id: string;
  }>(
    `SELECT person_no, kind, at, region, terminal_id FROM card_presence_events
     WHERE ${inJsonArray(tx.dialect, 'person_no')} AND ${inJsonArray(tx.dialect, 'kind')} AND at >= ?
     ORDER BY person_no, at`,
    [JSON.stringify(personNos), JSON.stringify(events), since],
  );
  for (const r of rows)
    found.set(r.person_no, { kind: r.kind, at: r.at, region: r.region, terminalId: r.terminal_id });
  return found;
}

/** The start of the silent window: `months` calendar months before `now`. */
export function windowStart(now: Date, months: number): string {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString();
}

export async function listCertifications(q: Queryable, personNo: string): Promise<Certification[]> {
  await entitlementRecord(q, personNo);
  const rows = await q.all<{
    certified_at: string;
    method: Certification['method'];
    valid_until: string;
    terminal_id: string | null;
    operator_id: string | null;
    evidence: string;
  }>(
    `SELECT certified_at, method, valid_until, terminal_id, operator_id, evidence FROM pension_certifications
     WHERE person_no = ? ORDER BY id`,
    [personNo],
  );
  return rows.map((r) => ({
    personNo,
    certifiedAt: r.certified_at,
    method: r.method,
    validUntil: r.valid_until,
    terminalId: r.terminal_id,
    operatorId: r.operator_id,
    evidence: JSON.parse(r.evidence) as Record<string, unknown>,
  }));
}

/**
 * Pensioners (not stopped) whose cycle ends within `withinDays` of today or has ended, soonest
 * first, for outreach before their pension is suspended: one page of `limit`, from after the
 * holder a cursor names, read along an index so that a page costs the same at any depth.
 */
export async function certificationsDue(
  q: Queryable,
  clock: Clock,
  page: { withinDays: number; region?: string | undefined; limit: number; after?: string | undefined },
): Promise<pension.CertificationDue> {
  const asOf = chinaDate(clock());
  const until = addDays(asOf, page.withinDays);
  const where = ["status <> 'stopped'", 'certified_until <= ?'];
  const params: string[] = [until];
  if (page.region) {
    where.push('paying_region = ?');
    params.push(page.region);
  }
  if (page.after) {
    const split = page.after.indexOf(':');
    const [cycleEnd, personNo] = [page.after.slice(0, split), page.after.slice(split + 1)];
    where.push('(certified_until > ? OR (certified_until = ? AND person_no > ?))');
    params.push(cycleEnd, cycleEnd, personNo);
  }
  // One more than the page: whether there is a next one, without counting them all.
  const rows = await q.all<{
    person_no: string;
    paying_region: string;
    status: string;
    certified_until: string;
  }>(
    `SELECT person_no, paying_region, status, certified_until FROM pension_entitlements
     WHERE ${where.join(' AND ')} ORDER BY certified_until, person_no LIMIT ${page.limit + 1}`,
    params,
  );
  const holders = rows.slice(0, page.limit).map((r) => ({
    personNo: r.person_no,
    payingRegion: r.paying_region,
    status: r.status,
    certifiedUntil: r.certified_until,
    lapsed: r.certified_until < asOf,
  }));
  const last = holders.at(-1);
  return {
    asOf,
    holders,
    nextCursor: rows.length > page.limit && last ? `${last.certifiedUntil}:${last.personNo}` : null,
  };
}
