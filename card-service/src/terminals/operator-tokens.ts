import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { type OperatorRecord, type OperatorTokenStatus, SCOPES, type Scope } from '@sscard/registry-protocol';
import { appendAudit } from '../audit/audit-log.js';
import { type Clock, DAY_MS } from '../clock.js';
import type { ServiceConfig } from '../config.js';
import { type DomainError, conflict, notFound, unauthorized } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import { auditActor } from '../registry/actor.js';
import { invalid } from '../registry/validation.js';
import { type Queryable, type Store, forUpdate } from '../store/store.js';

/**
 * Operator API tokens: `sst_<id>_<secret>`. Only SHA-256 of the secret is stored; secrets are 256
 * random bits, so a plain hash is enough (no password stretching needed) and a stolen database
 * yields no usable token.
 *
 * Every token expires (`operatorTokens.lifetimeDays`, at most `maxLifetimeDays`). Rotation keeps
 * the token's id, scopes and audit trail and gives it a new secret and a new expiry; the secret it
 * replaces stays good for an overlap (`rotationOverlapSeconds`, 0 = none) so that the client using
 * it can be switched over without a refused request, but it cannot rotate the token again.
 * Revocation ends every secret of the token at the next request.
 */
export { SCOPES, type Scope };

export type OperatorTokenPolicy = ServiceConfig['operatorTokens'];

export interface Operator {
  tokenId: string;
  name: string;
  scopes: Scope[];
  /** The request came with the secret a rotation replaced, during its overlap. */
  viaPreviousSecret: boolean;
}

interface TokenRow {
  token_id: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_valid_until: string | null;
  name: string;
  scopes: string;
  created_at: string;
  expires_at: string | null;
  rotated_at: string | null;
  revoked_at: string | null;
}

const COLUMNS =
  'token_id, secret_hash, previous_secret_hash, previous_valid_until, name, scopes, created_at, expires_at, rotated_at, revoked_at';

const TOKEN_RE = /^sst_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const TOKEN_ID_RE = /^[0-9a-f]{16}$/;

const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

const sameHash = (a: string, b: string): boolean =>
  timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

const newSecret = (): string => randomBytes(32).toString('base64url');

export function hasScope(operator: Operator, scope: Scope): boolean {
  return operator.scopes.includes('admin') || operator.scopes.includes(scope);
}

function statusOf(row: TokenRow, now: string): OperatorTokenStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now) return 'expired';
  return 'active';
}

function recordOf(row: TokenRow, now: Date): OperatorRecord {
  const at = now.toISOString();
  return {
    tokenId: row.token_id,
    name: row.name,
    scopes: row.scopes.split(' ') as Scope[],
    createdAt: row.created_at,
    // Every token has one once the service has started (`assignMissingExpiries`).
    expiresAt: row.expires_at ?? row.created_at,
    rotatedAt: row.rotated_at,
    previousSecretValidUntil:
      row.previous_valid_until !== null && row.previous_valid_until > at && row.revoked_at === null
        ? row.previous_valid_until
        : null,
    revokedAt: row.revoked_at,
    status: statusOf(row, at),
  };
}

/** The lifetime asked for, or the policy's default; more than the policy's maximum is refused. */
function expiryFor(policy: OperatorTokenPolicy, now: Date, lifetimeDays: number | undefined): string {
  const days = lifetimeDays ?? policy.lifetimeDays;
  if (!Number.isInteger(days) || days < 1 || days > policy.maxLifetimeDays) {
    throw invalid('lifetimeDays', `1 to ${policy.maxLifetimeDays} days expected`, {
      maxLifetimeDays: policy.maxLifetimeDays,
    });
  }
  return new Date(now.getTime() + days * DAY_MS).toISOString();
}

const tokenText = (tokenId: string, secret: string): string => `sst_${tokenId}_${secret}`;

export async function createOperatorToken(
  store: Store,
  clock: Clock,
  policy: OperatorTokenPolicy,
  request: { name: string; scopes: Scope[]; lifetimeDays?: number | undefined },
  actor: Actor,
): Promise<{ token: string; operator: OperatorRecord }> {
  const { name, scopes } = request;
  if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) {
    throw invalid('scopes', `one or more of ${SCOPES.join(', ')} expected`);
  }
  const now = clock();
  const expiresAt = expiryFor(policy, now, request.lifetimeDays);
  const tokenId = randomBytes(8).toString('hex');
  const secret = newSecret();
  const row: TokenRow = {
    token_id: tokenId,
    secret_hash: hashSecret(secret),
    previous_secret_hash: null,
    previous_valid_until: null,
    name,
    scopes: scopes.join(' '),
    created_at: now.toISOString(),
    expires_at: expiresAt,
    rotated_at: null,
    revoked_at: null,
  };
  await store.transaction(async (tx) => {
    await tx.run(
      'INSERT INTO operator_tokens (token_id, secret_hash, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [tokenId, row.secret_hash, name, row.scopes, row.created_at, expiresAt],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'operator.createToken',
      subject: `operator ${tokenId}`,
      result: 'ok',
      details: { name, scopes, expiresAt },
    });
  });
  return { token: tokenText(tokenId, secret), operator: recordOf(row, now) };
}

export async function listOperatorTokens(store: Queryable, clock: Clock): Promise<OperatorRecord[]> {
  const rows = await store.all<TokenRow>(
    `SELECT ${COLUMNS} FROM operator_tokens ORDER BY created_at, token_id`,
  );
  const now = clock();
  return rows.map((r) => recordOf(r, now));
}

/** One token's record (never a secret): the calling operator's, for the console. */
export async function operatorRecord(
  store: Queryable,
  clock: Clock,
  tokenId: string,
): Promise<OperatorRecord> {
  const row = TOKEN_ID_RE.test(tokenId)
    ? await store.get<TokenRow>(`SELECT ${COLUMNS} FROM operator_tokens WHERE token_id = ?`, [tokenId])
    : undefined;
  if (!row) throw notFound('operator token', { tokenId });
  return recordOf(row, clock());
}

async function lockedToken(tx: Queryable, tokenId: string): Promise<TokenRow> {
  const row = TOKEN_ID_RE.test(tokenId)
    ? await tx.get<TokenRow>(
        `SELECT ${COLUMNS} FROM operator_tokens WHERE token_id = ?${forUpdate(tx.dialect)}`,
        [tokenId],
      )
    : undefined;
  if (!row) throw notFound('operator token', { tokenId });
  return row;
}

/** Revokes every secret of the token; revoking a revoked token changes nothing and is not audited again. */
export async function revokeOperatorToken(
  store: Store,
  clock: Clock,
  tokenId: string,
  actor: Actor,
): Promise<OperatorRecord> {
  return store.transaction(async (tx) => {
    const row = await lockedToken(tx, tokenId);
    const now = clock();
    if (row.revoked_at !== null) return recordOf(row, now);
    const revokedAt = now.toISOString();
    await tx.run('UPDATE operator_tokens SET revoked_at = ? WHERE token_id = ?', [revokedAt, tokenId]);
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'operator.revokeToken',
      subject: `operator ${tokenId}`,
      result: 'ok',
      details: { name: row.name },
    });
    return recordOf({ ...row, revoked_at: revokedAt }, now);
  });
}

/**
 * A new secret and expiry for the token. The secret it replaces stays good until the overlap ends
 * (never past its own expiry); a secret an earlier rotation replaced ends now. A revoked token
 * cannot be rotated back to life.
 */
export async function rotateOperatorToken(
  store: Store,
  clock: Clock,
  policy: OperatorTokenPolicy,
  tokenId: string,
  request: { lifetimeDays?: number | undefined; overlapSeconds?: number | undefined },
  actor: Actor,
): Promise<{ token: string; operator: OperatorRecord }> {
  const now = clock();
  const expiresAt = expiryFor(policy, now, request.lifetimeDays);
  const overlapSeconds = request.overlapSeconds ?? policy.rotationOverlapSeconds;
  const secret = newSecret();
  return store.transaction(async (tx) => {
    const row = await lockedToken(tx, tokenId);
    if (row.revoked_at !== null) {
      throw conflict('TOKEN_REVOKED', 'a revoked operator token cannot be rotated; create a new one', {
        tokenId,
      });
    }
    const at = now.toISOString();
    const overlapEnd = new Date(now.getTime() + overlapSeconds * 1000).toISOString();
    const oldExpiry = row.expires_at ?? at;
    // Kept even with no overlap, so that the replaced secret is told apart from a wrong one.
    const previousValidUntil = oldExpiry > at ? minIso(overlapEnd, oldExpiry) : at;
    const rotated: TokenRow = {
      ...row,
      secret_hash: hashSecret(secret),
      previous_secret_hash: row.secret_hash,
      previous_valid_until: previousValidUntil,
      expires_at: expiresAt,
      rotated_at: at,
    };
    await tx.run(
      `UPDATE operator_tokens SET secret_hash = ?, previous_secret_hash = ?, previous_valid_until = ?,
       expires_at = ?, rotated_at = ? WHERE token_id = ?`,
      [
        rotated.secret_hash,
        rotated.previous_secret_hash,
        rotated.previous_valid_until,
        expiresAt,
        at,
        tokenId,
      ],
    );
    await appendAudit(tx, clock, {
      ...auditActor(actor),
      action: 'operator.rotateToken',
      subject: `operator ${tokenId}`,
      result: 'ok',
      details: {
        name: row.name,
        expiresAt,
        previousSecretValidUntil: recordOf(rotated, now).previousSecretValidUntil,
      },
    });
    return { token: tokenText(tokenId, secret), operator: recordOf(rotated, now) };
  });
}

const minIso = (a: string, b: string): string => (a < b ? a : b);

/**
 * The operator a bearer token names. A token whose secret matches but that is revoked or expired
 * is refused with its own code, and the attempt is audited: someone still holds a secret that
 * should be out of use. A secret that matches nothing learns nothing and leaves no trace (the
 * failure limiter counts it per network).
 */
export async function authenticateOperator(
  store: Store,
  clock: Clock,
  bearer: string,
  options: { auditRefusals: boolean } = { auditRefusals: true },
): Promise<Operator> {
  const m = TOKEN_RE.exec(bearer);
  if (!m) throw unauthorized('TOKEN_INVALID', 'the bearer token is not a valid operator token');
  const tokenId = m[1]!;
  const row = await store.get<TokenRow>(`SELECT ${COLUMNS} FROM operator_tokens WHERE token_id = ?`, [
    tokenId,
  ]);
  const presented = hashSecret(m[2]!);
  const current = row !== undefined && sameHash(presented, row.secret_hash);
  const previous =
    row !== undefined &&
    !current &&
    row.previous_secret_hash !== null &&
    sameHash(presented, row.previous_secret_hash);
  if (!row || (!current && !previous)) {
    throw unauthorized('TOKEN_INVALID', 'the bearer token is not a valid operator token');
  }
  const now = clock().toISOString();
  let refusal: DomainError | undefined;
  if (row.revoked_at !== null) {
    refusal = unauthorized('TOKEN_REVOKED', 'the operator token is revoked');
  } else if (current && row.expires_at !== null && row.expires_at <= now) {
    refusal = unauthorized('TOKEN_EXPIRED', `the operator token expired at ${row.expires_at}`);
  } else if (previous && (row.previous_valid_until === null || row.previous_valid_until <= now)) {
    refusal = unauthorized(
      'TOKEN_EXPIRED',
      `this secret of the operator token was replaced by a rotation at ${row.rotated_at}; use the new one`,
    );
  }
  if (refusal && options.auditRefusals) {
    const code = refusal.code;
    await store.transaction((tx) =>
      appendAudit(tx, clock, {
        terminalId: null,
        operatorId: tokenId,
        action: 'operator.tokenRefused',
        subject: `operator ${tokenId}`,
        result: code,
        details: { secret: previous ? 'previous' : 'current' },
      }),
    );
  }
  if (refusal) throw refusal;
  return {
    tokenId,
    name: row.name,
    scopes: row.scopes.split(' ') as Scope[],
    viaPreviousSecret: previous,
  };
}

/**
 * Tokens made before tokens had an expiry get the default lifetime from this start on, audited,
 * so that no token lives for ever.
 */
export async function assignMissingExpiries(
  store: Store,
  clock: Clock,
  policy: OperatorTokenPolicy,
): Promise<number> {
  return store.transaction(async (tx) => {
    const rows = await tx.all<{ token_id: string }>(
      `SELECT token_id FROM operator_tokens WHERE expires_at IS NULL ORDER BY token_id${forUpdate(tx.dialect)}`,
    );
    if (rows.length === 0) return 0;
    const expiresAt = expiryFor(policy, clock(), undefined);
    for (const r of rows) {
      await tx.run('UPDATE operator_tokens SET expires_at = ? WHERE token_id = ?', [expiresAt, r.token_id]);
      await appendAudit(tx, clock, {
        terminalId: null,
        operatorId: null,
        action: 'operator.assignTokenExpiry',
        subject: `operator ${r.token_id}`,
        result: 'ok',
        details: { expiresAt },
      });
    }
    return rows.length;
  });
}

/**
 * At first start: an admin token, written to `path` with mode 0600 and nowhere else (the service's
 * output goes to a journal); returned for a program that embeds the service. Later starts find a
 * token and create none.
 */
export async function bootstrapAdminToken(
  store: Store,
  clock: Clock,
  policy: OperatorTokenPolicy,
  path: string,
): Promise<string | undefined> {
  const existing = await store.get<{ n: number }>('SELECT COUNT(*) AS n FROM operator_tokens');
  if (Number(existing?.n ?? 0) > 0) return undefined;
  const { token } = await createOperatorToken(
    store,
    clock,
    policy,
    { name: 'bootstrap admin', scopes: ['admin'] },
    { kind: 'system', id: 'bootstrap' },
  );
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return token;
}
