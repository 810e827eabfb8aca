import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAY_MS, manualClock } from '../clock.js';
import { type TestService, startTestService } from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { assignMissingExpiries } from './operator-tokens.js';

/**
 * Operator tokens expire, rotate with an overlap for the replaced secret, and can be revoked;
 * each change and each use of a dead secret is audited.
 */
forEachEngine('operator tokens: expiry, rotation, revocation', ({ freshUrl, dataDir }) => {
  let t: TestService;
  const clock = manualClock(new Date());
  const POLICY = { lifetimeDays: 30, maxLifetimeDays: 60, rotationOverlapSeconds: 600 };

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock, undefined, { operatorTokens: POLICY });
  });
  after(() => t.service.close());

  const create = async (name: string, scopes: string[], lifetimeDays?: number) => {
    const made = await t.call('POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name, scopes, ...(lifetimeDays ? { lifetimeDays } : {}) },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    return made.body as { token: string; operator: { tokenId: string; expiresAt: string } };
  };
  /** A route any registry:read token may call, to see whether a token is accepted. */
  const use = (token: string) => t.call('GET', '/v1/terminals', { token });
  const auditOf = async (tokenId: string) => {
    const a = await t.call('GET', '/v1/audit?limit=1000', { token: t.adminToken });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    return (
      a.body.entries as { action: string; subject: string; result: string; operatorId: string }[]
    ).filter((e) => e.subject === `operator ${tokenId}`);
  };

  test('a token gets the configured lifetime, at most the maximum, and is refused as expired after it', async () => {
    const made = await create('terminal desk', ['terminals:manage']);
    assert.equal(Date.parse(made.operator.expiresAt), clock().getTime() + 30 * DAY_MS);
    const tooLong = await t.call('POST', '/v1/operator-tokens', {
      token: t.adminToken,
      body: { name: 'forever', scopes: ['audit:read'], lifetimeDays: 61 },
    });
    assert.deepEqual([tooLong.status, tooLong.body.code], [400, 'VALIDATION_FAILED']);

    const short = await create('short', ['terminals:manage'], 2);
    assert.equal((await use(short.token)).status, 200);
    clock.advance(2 * DAY_MS);
    const expired = await use(short.token);
    assert.deepEqual([expired.status, expired.body.code], [401, 'TOKEN_EXPIRED']);
    assert.equal((await use(made.token)).status, 200, 'the 30-day token still works');
    const refused = (await auditOf(short.operator.tokenId)).filter(
      (e) => e.action === 'operator.tokenRefused',
    );
    assert.deepEqual(
      refused.map((e) => e.result),
      ['TOKEN_EXPIRED'],
    );
  });

  test('the list shows every token with its status and expiry, never a secret, and only to an admin', async () => {
    const made = await create('listed', ['audit:read']);
    const listed = await t.call('GET', '/v1/operator-tokens', { token: t.adminToken });
    assert.equal(listed.status, 200);
    const row = listed.body.tokens.find((x: { tokenId: string }) => x.tokenId === made.operator.tokenId);
    assert.deepEqual(
      [row.name, row.status, row.scopes, row.expiresAt],
      ['listed', 'active', ['audit:read'], made.operator.expiresAt],
    );
    const secret = made.token.split('_')[2]!;
    assert.ok(!JSON.stringify(listed.body).includes(secret));
    assert.ok(
      listed.body.tokens.every((x: Record<string, unknown>) => !('token' in x) && !('secretHash' in x)),
    );
    const notAdmin = await t.call('GET', '/v1/operator-tokens', { token: made.token });
    assert.deepEqual([notAdmin.status, notAdmin.body.code], [403, 'SCOPE_MISSING']);
  });

  test('rotation: a new secret and expiry; the old secret works for the overlap only and cannot rotate again', async () => {
    const made = await create('scraper', ['terminals:manage']);
    clock.advance(DAY_MS);
    const rotated = await t.call('POST', `/v1/operator-tokens/${made.operator.tokenId}/rotate`, {
      token: t.adminToken,
      body: {},
    });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    const next: string = rotated.body.token;
    assert.notEqual(next, made.token);
    assert.equal(rotated.body.operator.tokenId, made.operator.tokenId);
    assert.equal(Date.parse(rotated.body.operator.expiresAt), clock().getTime() + 30 * DAY_MS);
    assert.equal(Date.parse(rotated.body.operator.previousSecretValidUntil), clock().getTime() + 600_000);
    assert.equal((await use(next)).status, 200);
    assert.equal((await use(made.token)).status, 200, 'the old secret during the overlap');
    // The replaced secret may not take the token over by rotating it.
    const takeover = await t.call('POST', '/v1/operator-token/rotate', { token: made.token, body: {} });
    assert.deepEqual([takeover.status, takeover.body.code], [401, 'TOKEN_EXPIRED']);
    clock.advance(600_000);
    const lapsed = await use(made.token);
    assert.deepEqual([lapsed.status, lapsed.body.code], [401, 'TOKEN_EXPIRED']);
    assert.equal((await use(next)).status, 200);
    const actions = (await auditOf(made.operator.tokenId)).map((e) => `${e.action}:${e.result}`);
    assert.deepEqual(actions, [
      'operator.createToken:ok',
      'operator.rotateToken:ok',
      'operator.tokenRefused:TOKEN_EXPIRED',
    ]);
  });

  test('a token rotates itself, with no overlap when it asks for none', async () => {
    const made = await create('self', ['audit:read']);
    const rotated = await t.call('POST', '/v1/operator-token/rotate', {
      token: made.token,
      body: { overlapSeconds: 0, lifetimeDays: 7 },
    });
    assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
    assert.equal(rotated.body.operator.previousSecretValidUntil, null);
    assert.equal(Date.parse(rotated.body.operator.expiresAt), clock().getTime() + 7 * DAY_MS);
    const old = await t.call('GET', '/v1/audit?limit=1', { token: made.token });
    assert.deepEqual([old.status, old.body.code], [401, 'TOKEN_EXPIRED']);
    assert.equal((await t.call('GET', '/v1/audit?limit=1', { token: rotated.body.token })).status, 200);
    const rotation = (await auditOf(made.operator.tokenId)).find((e) => e.action === 'operator.rotateToken');
    assert.equal(rotation?.operatorId, made.operator.tokenId, 'the token itself is the actor');
  });

  test('revocation refuses the current and the overlapping secret at once, and a revoked token cannot rotate', async () => {
    const made = await create('leaked', ['terminals:manage']);
    const rotated = await t.call('POST', `/v1/operator-tokens/${made.operator.tokenId}/rotate`, {
      token: t.adminToken,
      body: {},
    });
    assert.equal(rotated.status, 201);
    const revoked = await t.call('POST', `/v1/operator-tokens/${made.operator.tokenId}/revoke`, {
      token: t.adminToken,
    });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    assert.deepEqual([revoked.body.status, revoked.body.previousSecretValidUntil], ['revoked', null]);
    for (const token of [made.token, rotated.body.token]) {
      const refused = await use(token);
      assert.deepEqual([refused.status, refused.body.code], [401, 'TOKEN_REVOKED']);
    }
    const again = await t.call('POST', `/v1/operator-tokens/${made.operator.tokenId}/rotate`, {
      token: t.adminToken,
      body: {},
    });
    assert.deepEqual([again.status, again.body.code], [409, 'TOKEN_REVOKED']);
    const unknown = await t.call('POST', '/v1/operator-tokens/0123456789abcdef/revoke', {
      token: t.adminToken,
    });
    assert.equal(unknown.status, 404);
    const actions = (await auditOf(made.operator.tokenId)).map((e) => `${e.action}:${e.result}`);
    assert.deepEqual(actions, [
      'operator.createToken:ok',
      'operator.rotateToken:ok',
      'operator.revokeToken:ok',
      'operator.tokenRefused:TOKEN_REVOKED',
      'operator.tokenRefused:TOKEN_REVOKED',
    ]);
  });

  test('a token made before tokens expired gets the default lifetime, audited', async () => {
    const made = await create('old', ['audit:read']);
    await t.service.store.run('UPDATE operator_tokens SET expires_at = NULL WHERE token_id = ?', [
      made.operator.tokenId,
    ]);
    assert.equal(await assignMissingExpiries(t.service.store, clock, POLICY), 1);
    const listed = await t.call('GET', '/v1/operator-tokens', { token: t.adminToken });
    const row = listed.body.tokens.find((x: { tokenId: string }) => x.tokenId === made.operator.tokenId);
    assert.equal(Date.parse(row.expiresAt), clock().getTime() + 30 * DAY_MS);
    assert.ok((await auditOf(made.operator.tokenId)).some((e) => e.action === 'operator.assignTokenExpiry'));
    assert.equal(await assignMissingExpiries(t.service.store, clock, POLICY), 0);
  });
});
