import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import { manualClock } from '../clock.js';
import {
  type Answer,
  issueActiveCard,
  type TestService,
  type TlsIdentity,
  startTestService,
} from '../testing/api-fixture.js';

/**
 * The per-caller token buckets as a terminal meets them over mutual TLS: on the lean identity
 * route and on express routes alike. The buckets live in the service's memory whatever the store,
 * so one engine is enough here.
 */
describe('rate limits over HTTP', () => {
  const CAPACITY = 8;
  let dir = '';
  let t: TestService;
  let hospital: TlsIdentity;
  let pharmacy: TlsIdentity;
  let check: { cardIdCode: string; cardNumber: string; ssn: string; name: string };
  // The buckets refill on the service's clock, held still here: how long the machine takes to
  // answer cannot hand a caller tokens the test did not give it.
  const clock = manualClock(new Date());

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sscard-rate-'));
    // One token a second: the refusal's Retry-After is one second.
    t = await startTestService(join(dir, 'registry.db'), dir, clock, {
      capacity: CAPACITY,
      refillPerSecond: 1,
    });
    // Five operator calls and two anonymous enrolments: within each caller's own bucket.
    hospital = await t.enrolTerminal('hosp-rl', 'hospital');
    pharmacy = await t.enrolTerminal('pharm-rl', 'pharmacy');
    const card = await issueActiveCard(t, {
      ssn: makeCitizenId('330302', '19620714', 77),
      name: '李桂兰',
      schemeCode: '390',
      startDate: '2015-01-01',
    });
    check = { cardIdCode: card.cardIdCode, cardNumber: card.cardNumber, ssn: card.ssn, name: card.name };
  });

  after(async () => {
    await t?.service.close();
    await rm(dir, { recursive: true, force: true });
  });

  const identityCheck = (identity: TlsIdentity): Promise<Answer> =>
    t.call('POST', '/v1/identity/check', { identity, body: check });

  function assertLimited(answer: Answer): void {
    assert.equal(answer.status, 429, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 'RATE_LIMITED');
    assert.equal(answer.headers['retry-after'], '1');
    assert.equal(answer.body.details.retryAfterSeconds, 1);
    assert.match(String(answer.headers['content-type']), /^application\/problem\+json/);
  }

  test('a terminal gets its bucket, then 429 with Retry-After on every route, then service again', async () => {
    for (let i = 0; i < CAPACITY; i++) {
      const answer = await identityCheck(hospital);
      assert.equal(answer.status, 200, `check ${i + 1}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.valid, true);
    }
    // The identity check (served ahead of express) and an express route share the terminal's bucket.
    assertLimited(await identityCheck(hospital));
    assertLimited(await t.call('GET', '/v1/terminal', { identity: hospital }));

    // Other callers have buckets of their own.
    const other = await identityCheck(pharmacy);
    assert.equal(other.status, 200, JSON.stringify(other.body));
    const operator = await t.call('GET', `/v1/cards/${check.cardNumber}`, { token: t.adminToken });
    assert.notEqual(operator.status, 429);

    clock.advance(1100);
    const again = await identityCheck(hospital);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.valid, true);
  });

  test('a refused request does not reach the handler: no audit entry for it', async () => {
    const audited = async (): Promise<number> => {
      const log = await t.call('GET', '/v1/audit?limit=1000', { token: t.adminToken });
      assert.equal(log.status, 200, JSON.stringify(log.body));
      return (log.body.entries as { action: string; terminalId?: string }[]).filter(
        (e) => e.action === 'identity.check' && e.terminalId === 'pharm-rl',
      ).length;
    };
    const before = await audited();
    let refused = 0;
    for (let i = 0; i < CAPACITY + 2; i++) if ((await identityCheck(pharmacy)).status === 429) refused++;
    assert.ok(refused >= 2, `${refused} refused`);
    assert.equal(await audited(), before + CAPACITY + 2 - refused);
  });
});
