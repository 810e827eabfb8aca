import {
  type PolicyDraft,
  type PublishedPolicy,
  type SchemeCode,
  policyParametersSchema,
} from '@sscard/registry-protocol/settlement';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import { type Actor, actorLabel, auditActor } from '../registry/actor.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';

/**
 * Settlement policies, versioned: publishing adds version n+1 for a region, scheme and year with
 * its first effective day; nothing published is changed, so every settlement names the version it
 * was calculated under and a replay finds it again.
 */
interface PolicyRow {
  region: string;
  scheme: SchemeCode;
  year: number;
  version: number;
  effective_from: string;
  parameters: string;
  published_at: string;
  published_by: string;
}

const fromRow = (r: PolicyRow): PublishedPolicy => ({
  region: r.region,
  scheme: r.scheme,
  year: Number(r.year),
  version: Number(r.version),
  effectiveFrom: r.effective_from,
  parameters: policyParametersSchema.parse(JSON.parse(r.parameters)),
  publishedAt: r.published_at,
  publishedBy: r.published_by,
});

const COLUMNS = 'region, scheme, year, version, effective_from, parameters, published_at, published_by';

export async function publishPolicy(
  store: Store,
  clock: Clock,
  draft: PolicyDraft,
  actor: Actor,
): Promise<PublishedPolicy> {
  return store.transaction(async (tx) => {
    // The latest version is read locked, so two operators publishing at once get n+1 and n+2.
    const latest = await tx.get<{ version: number }>(
      `SELECT version FROM settlement_policies WHERE region = ? AND scheme = ? AND year = ?
       ORDER BY version DESC LIMIT 1${forUpdate(tx.dialect)}`,
      [draft.region, draft.scheme, draft.year],
    );
    const policy: PublishedPolicy = {
      ...draft,
      version: (latest ? Number(latest.version) : 0) + 1,
      publishedAt: clock().toISOString(),
      publishedBy: actorLabel(actor),
    };
    await tx.run(`INSERT INTO settlement_policies (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      policy.region,
      policy.scheme,
      policy.year,
      policy.version,
      policy.effectiveFrom,
      JSON.stringify(policy.parameters),
      policy.publishedAt,
      policy.publishedBy,
    ]);
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'settlement.publishPolicy',
      subject: `policy ${policy.region}/${policy.scheme}/${policy.year}`,
      result: 'ok',
      details: { version: policy.version, effectiveFrom: policy.effectiveFrom },
    });
    return policy;
  });
}

export async function listPolicies(q: Queryable, region: string): Promise<PublishedPolicy[]> {
  const rows = await q.all<PolicyRow>(
    `SELECT ${COLUMNS} FROM settlement_policies WHERE region = ? ORDER BY scheme, year, version`,
    [region],
  );
  return rows.map(fromRow);
}

/** The version in force on `date` (YYYY-MM-DD): the latest published one already effective. */
export async function policyInForce(
  q: Queryable,
  region: string,
  scheme: SchemeCode,
  date: string,
): Promise<PublishedPolicy> {
  const row = await q.get<PolicyRow>(
    `SELECT ${COLUMNS} FROM settlement_policies
     WHERE region = ? AND scheme = ? AND year = ? AND effective_from <= ?
     ORDER BY version DESC LIMIT 1`,
    [region, scheme, Number(date.slice(0, 4)), date],
  );
  if (!row) {
    throw new DomainError(
      'POLICY_MISSING',
      `no ${scheme} policy of region ${region} is in force on ${date}`,
      409,
    );
  }
  return fromRow(row);
}

export async function policyVersion(
  q: Queryable,
  region: string,
  scheme: SchemeCode,
  year: number,
  version: number,
): Promise<PublishedPolicy | undefined> {
  const row = await q.get<PolicyRow>(
    `SELECT ${COLUMNS} FROM settlement_policies WHERE region = ? AND scheme = ? AND year = ? AND version = ?`,
    [region, scheme, year, version],
  );
  return row ? fromRow(row) : undefined;
}
