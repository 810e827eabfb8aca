import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCOPES, type Scope } from '@sscard/registry-protocol';
import { chmod, writeFile } from 'node:fs/promises';
import { appendAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { unauthorized } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { auditActor } from '../registry/actor.js';
import { invalid } from '../registry/validation.js';
import type { Queryable, Store } from '../store/store.js';

/**
 * Operator API tokens: `sst_<id>_<secret>`. Only SHA-256 of the secret is stored; secrets are 256
 * random bits, so a plain hash is enough (no password stretching needed) and a stolen database
 * yields no usable token.
 */
export { SCOPES, type Scope };

export interface Operator {
  tokenId: string;
  name: string;
  scopes: Scope[];
}

const TOKEN_RE = /^sst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function hasScope(operator: Operator, scope: Scope): boolean {
  return operator.scopes.includes('admin') || operator.scopes.includes(scope);
}

export async function createOperatorToken(
  store: Store,
  clock: Clock,
  name: string,
  scopes: Scope[],
  actor: Actor,
): Promise<{ token: string; operator: Operator }> {
  if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) {
    throw invalid('scopes', `one or more of ${SCOPES.join(', ')} expected`);
  }
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  await store.transaction(async (tx) => {
    await tx.run(
      'INSERT INTO operator_tokens (token_id, secret_hash, name, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
      [tokenId, hashSecret(secret), name, scopes.join(' '), clock().toISOString()],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'operator.createToken',
      subject: `operator ${tokenId}`,
      result: 'ok',
      details: { name, scopes },
    });
  });
  return { token: `sst_${tokenId}_${secret}`, operator: { tokenId, name, scopes } };
}

export async function authenticateOperator(store: Queryable, bearer: string): Promise<Operator> {
  const m = TOKEN_RE.exec(bearer);
  if (!m) throw unauthorized('TOKEN_INVALID', 'the bearer token is not a valid operator token');
  const row = await store.get<{
    secret_hash: string;
    name: string;
    scopes: string;
    revoked_at: string | null;
  }>('SELECT secret_hash, name, scopes, revoked_at FROM operator_tokens WHERE token_id = ?', [m[1]!]);
  const presented = Buffer.from(hashSecret(m[2]!), 'hex');
  if (!row || row.revoked_at !== null || !timingSafeEqual(presented, Buffer.from(row.secret_hash, 'hex'))) {
    throw unauthorized('TOKEN_INVALID', 'the bearer token is not a valid operator token');
  }
  return { tokenId: m[1]!, name: row.name, scopes: row.scopes.split(' ') as Scope[] };
}

/**
 * At first start: an admin token, written to `path` with mode 0600 and nowhere else (the service's
 * output goes to a journal); returned for a program that embeds the service. Later starts find a
 * token and create none.
 */
export async function bootstrapAdminToken(
  store: Store,
  clock: Clock,
  path: string,
): Promise<string | undefined> {
  const existing = await store.get<{ n: number }>('SELECT COUNT(*) AS n FROM operator_tokens');
  if (Number(existing?.n ?? 0) > 0) return undefined;
  const { token } = await createOperatorToken(store, clock, 'bootstrap admin', ['admin'], {
    kind: 'system',
    id: 'bootstrap',
  });
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return token;
}
