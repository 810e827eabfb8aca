import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  externalAuthCryptogram,
  internalAuthCryptogram,
  makeCitizenId,
  parseCardIdCode,
  ssseCardKey,
} from '@sscard/card-core';
import { DAY_MS, manualClock } from '../clock.js';
import {
  type IssuedCardData,
  issueActiveCard,
  type TestService,
  type TlsIdentity,
  startTestService,
} from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

let seq = 100;

forEachEngine('identity checks and card-present proof', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let hospital: TlsIdentity;
  let kiosk: TlsIdentity;
  let bank: TlsIdentity;
  const clock = manualClock(new Date());

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
    hospital = await t.enrolTerminal('hosp-1', 'hospital');
    kiosk = await t.enrolTerminal('kiosk-1', 'kiosk');
    bank = await t.enrolTerminal('bank-1', 'bank');
  });
  after(() => t.service.close());

  const activeCard = (generation: 2 | 3 = 3): Promise<IssuedCardData> =>
    issueActiveCard(
      t,
      {
        ssn: makeCitizenId('330302', '19750302', seq++),
        name: '王秀英',
        schemeCode: '310',
        startDate: '2012-07-01',
      },
      generation,
    );

  const read = (c: IssuedCardData) => ({
    cardIdCode: c.cardIdCode,
    cardNumber: c.cardNumber,
    ssn: c.ssn,
    name: c.name,
  });

  /** What the card in the reader answers to INTERNAL AUTHENTICATE. */
  function cardAnswer(c: IssuedCardData, challengeHex: string, keys = t.keys.internalAuth): string {
    const key = ssseCardKey(c.algorithm, keys[c.algorithm], parseCardIdCode(c.cardIdCode).bytes);
    return internalAuthCryptogram(c.algorithm, key, Buffer.from(challengeHex, 'hex')).toString('hex');
  }

  async function challenge(c: IssuedCardData, identity = hospital) {
    const answer = await t.call('POST', '/v1/challenges', { identity, body: { cardIdCode: c.cardIdCode } });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body as { challengeId: string; challenge: string; expiresAt: string; algorithm: string };
  }

  test('a hospital sees the full name, a masked ID number and the coverage', async () => {
    const c = await activeCard();
    const answer = await t.call('POST', '/v1/identity/check', { identity: hospital, body: read(c) });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.valid, true);
    assert.equal(answer.body.holder.name, '王秀英');
    assert.equal(answer.body.holder.idNumber, `${c.ssn.slice(0, 6)}********${c.ssn.slice(14)}`);
    assert.deepEqual(
      answer.body.coverage.map((r: { schemeCode: string; status: string }) => [r.schemeCode, r.status]),
      [['310', 'active']],
    );
    assert.equal(answer.body.cardPresent, false);
  });

  test('a kiosk sees the name masked', async () => {
    const c = await activeCard();
    const answer = await t.call('POST', '/v1/identity/check', { identity: kiosk, body: read(c) });
    assert.equal(answer.body.valid, true);
    assert.equal(answer.body.holder.name, '王**');
  });

  test('refuses an unknown card, a mismatched holder and mismatched card data', async () => {
    const c = await activeCard();
    const unknown = await t.call('POST', '/v1/identity/check', {
      identity: hospital,
      body: { ...read(c), cardIdCode: `330300D156000005${'AB'.repeat(8)}` },
    });
    assert.deepEqual([unknown.body.valid, unknown.body.reason], [false, 'CARD_UNKNOWN']);
    const other = await t.call('POST', '/v1/identity/check', {
      identity: hospital,
      body: { ...read(c), name: '李四' },
    });
    assert.deepEqual(
      [other.body.valid, other.body.reason, other.body.holder],
      [false, 'HOLDER_MISMATCH', undefined],
    );
    const number = await t.call('POST', '/v1/identity/check', {
      identity: hospital,
      body: { ...read(c), cardNumber: 'A00000019' },
    });
    assert.equal(number.body.reason, 'CARD_DATA_MISMATCH');
  });

  test('refuses a temporarily lost card at once (the visit cache drops it) and accepts it after unblock', async () => {
    const c = await activeCard();
    assert.equal(
      (await t.call('POST', '/v1/identity/check', { identity: kiosk, body: read(c) })).body.valid,
      true,
    );
    const ch = await challenge(c, kiosk);
    const loss = await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      identity: kiosk,
      body: {
        event: 'reportTemporaryLoss',
        proof: { challengeId: ch.challengeId, cryptogram: cardAnswer(c, ch.challenge) },
      },
      headers: { 'idempotency-key': `kiosk-1:${c.cardNumber}` },
    });
    assert.equal(loss.status, 200, JSON.stringify(loss.body));
    assert.equal(loss.body.card.status, 'temporarily_lost');
    const refused = await t.call('POST', '/v1/identity/check', { identity: kiosk, body: read(c) });
    assert.deepEqual([refused.body.valid, refused.body.reason], [false, 'CARD_TEMPORARILY_LOST']);
    const again = await challenge(c, kiosk);
    const unblockByKiosk = await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      identity: kiosk,
      body: {
        event: 'unblock',
        proof: { challengeId: again.challengeId, cryptogram: cardAnswer(c, again.challenge) },
      },
      headers: { 'idempotency-key': `kiosk-1:unblock:${c.cardNumber}` },
    });
    assert.equal(unblockByKiosk.status, 403);
    await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'unblock' },
    });
    assert.equal(
      (await t.call('POST', '/v1/identity/check', { identity: kiosk, body: read(c) })).body.valid,
      true,
    );
  });

  test('a retried terminal event with the same idempotency key changes nothing twice', async () => {
    const c = await activeCard();
    const ch = await challenge(c, kiosk);
    const proof = { challengeId: ch.challengeId, cryptogram: cardAnswer(c, ch.challenge) };
    const send = () =>
      t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
        identity: kiosk,
        body: { event: 'reportTemporaryLoss', proof },
        headers: { 'idempotency-key': 'kiosk-1:journal-77' },
      });
    const first = await send();
    const retry = await send();
    assert.equal(first.status, 200);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(retry.body.replayed, true);
    assert.equal(retry.body.card.status, 'temporarily_lost');
    const history = await t.call('GET', `/v1/cards/${c.cardNumber}/history`, { token: t.adminToken });
    assert.equal(
      history.body.history.filter((h: { action: string }) => h.action === 'reportTemporaryLoss').length,
      1,
    );
  });

  test('refuses a formally lost, a cancelled and an expired (temporary) card with their reasons', async () => {
    const lost = await activeCard();
    await t.call('POST', `/v1/cards/${lost.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'reportFormalLoss' },
    });
    assert.equal(
      (await t.call('POST', '/v1/identity/check', { identity: bank, body: read(lost) })).body.reason,
      'CARD_LOST',
    );
    const cancelled = await activeCard();
    await t.call('POST', `/v1/cards/${cancelled.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'cancel' },
    });
    assert.equal(
      (await t.call('POST', '/v1/identity/check', { identity: bank, body: read(cancelled) })).body.reason,
      'CARD_CANCELLED',
    );
    const holder = await activeCard();
    const temp = await t.call('POST', `/v1/holders/${holder.personNo}/cards`, {
      token: t.adminToken,
      body: { generation: 3, temporary: true },
    });
    const tc = temp.body.card;
    await t.call('POST', `/v1/cards/${tc.cardNumber}/events`, {
      token: t.adminToken,
      body: { event: 'activateSocialSecurity' },
    });
    const tempRead = { ...read(holder), cardIdCode: tc.cardIdCode, cardNumber: tc.cardNumber };
    assert.equal(
      (await t.call('POST', '/v1/identity/check', { identity: bank, body: tempRead })).body.valid,
      true,
    );
    const saved = clock();
    clock.advance(91 * DAY_MS);
    try {
      const expired = await t.call('POST', '/v1/identity/check', { identity: bank, body: tempRead });
      assert.deepEqual([expired.body.valid, expired.body.reason], [false, 'CARD_EXPIRED']);
    } finally {
      clock.set(saved);
    }
  });

  for (const generation of [2, 3] as const) {
    test(`verifies a generation ${generation} card's answer over a challenge, once`, async () => {
      const c = await activeCard(generation);
      const ch = await challenge(c);
      assert.equal(ch.challenge.length, generation === 2 ? 16 : 32);
      const body = {
        challengeId: ch.challengeId,
        cardIdCode: c.cardIdCode,
        cryptogram: cardAnswer(c, ch.challenge),
      };
      const ok = await t.call('POST', '/v1/card-auth/verify', { identity: hospital, body });
      assert.deepEqual(ok.body, { verified: true, cardNumber: c.cardNumber });
      const replay = await t.call('POST', '/v1/card-auth/verify', { identity: hospital, body });
      assert.deepEqual(replay.body, { verified: false, reason: 'CHALLENGE_USED' });
    });
  }

  test('refuses an expired challenge, a wrong cryptogram, and a challenge of another terminal', async () => {
    const c = await activeCard();
    const late = await challenge(c);
    clock.advance(61_000);
    const expired = await t.call('POST', '/v1/card-auth/verify', {
      identity: hospital,
      body: {
        challengeId: late.challengeId,
        cardIdCode: c.cardIdCode,
        cryptogram: cardAnswer(c, late.challenge),
      },
    });
    assert.deepEqual(expired.body, { verified: false, reason: 'CHALLENGE_EXPIRED' });
    const ch = await challenge(c);
    const foreignKeys = { '3des': Buffer.alloc(16, 1), sm4: Buffer.alloc(16, 2) };
    const forged = await t.call('POST', '/v1/card-auth/verify', {
      identity: hospital,
      body: {
        challengeId: ch.challengeId,
        cardIdCode: c.cardIdCode,
        cryptogram: cardAnswer(c, ch.challenge, foreignKeys),
      },
    });
    assert.deepEqual(forged.body, { verified: false, reason: 'CRYPTOGRAM_INVALID' });
    const mine = await challenge(c, hospital);
    const stolen = await t.call('POST', '/v1/card-auth/verify', {
      identity: bank,
      body: {
        challengeId: mine.challengeId,
        cardIdCode: c.cardIdCode,
        cryptogram: cardAnswer(c, mine.challenge),
      },
    });
    assert.deepEqual(stolen.body, { verified: false, reason: 'CHALLENGE_UNKNOWN' });
  });

  test('an identity check with a card-present proof says the card is present; a replayed proof is refused', async () => {
    const c = await activeCard();
    const ch = await challenge(c, bank);
    const proof = { challengeId: ch.challengeId, cryptogram: cardAnswer(c, ch.challenge) };
    const first = await t.call('POST', '/v1/identity/check', { identity: bank, body: { ...read(c), proof } });
    assert.deepEqual([first.body.valid, first.body.cardPresent], [true, true]);
    const again = await t.call('POST', '/v1/identity/check', { identity: bank, body: { ...read(c), proof } });
    assert.deepEqual([again.body.valid, again.body.reason], [false, 'PROOF_CHALLENGE_USED']);
  });

  test('a bank changes card state only with the card present', async () => {
    const c = await activeCard();
    const without = await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      identity: bank,
      body: { event: 'activateFinancial' },
      headers: { 'idempotency-key': 'bank-1:1' },
    });
    assert.equal(without.status, 403);
    assert.equal(without.body.code, 'CARD_PRESENCE_REQUIRED');
    const ch = await challenge(c, bank);
    const withProof = await t.call('POST', `/v1/cards/${c.cardNumber}/events`, {
      identity: bank,
      body: {
        event: 'activateFinancial',
        proof: { challengeId: ch.challengeId, cryptogram: cardAnswer(c, ch.challenge) },
      },
      headers: { 'idempotency-key': 'bank-1:2' },
    });
    assert.equal(withProof.status, 200, JSON.stringify(withProof.body));
    assert.equal(withProof.body.card.financialActive, true);
  });

  test('an identity check answers bad bodies as every route does, whatever the content type says', async () => {
    const card = await activeCard();
    const good = { cardIdCode: card.cardIdCode, cardNumber: card.cardNumber, ssn: card.ssn, name: card.name };
    const bodies: [string, string, number, string][] = [
      ['malformed', '{"cardIdCode":', 400, 'BODY_NOT_JSON'],
      ['not an object', '"text"', 400, 'BODY_NOT_JSON'],
      ['whitespace', '  ', 400, 'BODY_NOT_JSON'],
      ['empty', '', 400, 'VALIDATION_FAILED'],
      ['an array', '[]', 400, 'VALIDATION_FAILED'],
      ['an unknown field', JSON.stringify({ ...good, extra: 1 }), 400, 'VALIDATION_FAILED'],
      ['oversize', JSON.stringify({ ...good, name: 'x'.repeat(70_000) }), 413, 'BODY_TOO_LARGE'],
      ['with a byte order mark', `\ufeff${JSON.stringify(good)}`, 200, ''],
    ];
    // Plain JSON, then variants that other clients send: another spelling, another charset
    // parameter, no declared type at all.
    const types = [
      'application/json',
      'Application/JSON;charset=UTF-8',
      'application/json; charset=latin1',
      '',
    ];
    for (const [what, raw, status, code] of bodies) {
      for (const sized of [false, true]) {
        const answers = [];
        for (const type of types.slice(0, 2)) {
          answers.push(
            await t.call('POST', '/v1/identity/check', {
              identity: hospital,
              raw,
              headers: {
                'content-type': type,
                ...(sized ? { 'content-length': String(Buffer.byteLength(raw)) } : {}),
              },
            }),
          );
        }
        for (const a of answers) {
          assert.equal(a.status, status, `${what}: ${JSON.stringify(a.body)}`);
          if (code) {
            assert.equal(a.body.code, code, what);
            assert.equal(a.headers['content-type'], 'application/problem+json; charset=utf-8');
          } else assert.equal(a.body.valid, true, what);
        }
        if (code) assert.deepEqual(answers[0]!.body, answers[1]!.body, what);
      }
    }
    for (const type of types.slice(2)) {
      const a = await t.call('POST', '/v1/identity/check', {
        identity: hospital,
        raw: JSON.stringify(good),
        headers: { 'content-type': type },
      });
      assert.equal(a.status, type === '' ? 400 : 415, `${type}: ${JSON.stringify(a.body)}`);
    }
  });

  for (const generation of [2, 3] as const) {
    test(`answers EXTERNAL AUTHENTICATE over a generation ${generation} card's challenge with the card's own key`, async () => {
      const c = await activeCard(generation);
      const challengeHex = '0102030405060708';
      const answer = await t.call('POST', '/v1/card-auth/external', {
        identity: kiosk,
        body: { cardIdCode: c.cardIdCode, challenge: challengeHex },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const key = ssseCardKey(
        c.algorithm,
        t.keys.externalAuth[c.algorithm],
        parseCardIdCode(c.cardIdCode).bytes,
      );
      const expected = externalAuthCryptogram(c.algorithm, key, Buffer.from(challengeHex, 'hex'));
      assert.deepEqual(answer.body, {
        cryptogram: expected.toString('hex').toUpperCase(),
        algorithm: c.algorithm,
      });
    });
  }

  test('refuses EXTERNAL AUTHENTICATE for a card it did not issue and for a challenge that is not 8 bytes', async () => {
    const unknown = await t.call('POST', '/v1/card-auth/external', {
      identity: hospital,
      body: { cardIdCode: `330300D156000005${'CD'.repeat(8)}`, challenge: '0102030405060708' },
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.details.reason, 'CARD_UNKNOWN');
    const c = await activeCard();
    for (const challenge of ['01020304', '0102030405060708090A0B0C0D0E0F10', 'not hex!']) {
      const bad = await t.call('POST', '/v1/card-auth/external', {
        identity: hospital,
        body: { cardIdCode: c.cardIdCode, challenge },
      });
      assert.equal(bad.status, 400, challenge);
    }
    const noCertificate = await t.call('POST', '/v1/card-auth/external', {
      body: { cardIdCode: c.cardIdCode, challenge: '0102030405060708' },
    });
    assert.equal(noCertificate.status, 401);
  });

  test('every identity check is in the audit chain, which verifies', async () => {
    const entries = await t.call('GET', '/v1/audit?after=0&limit=1000', { token: t.adminToken });
    const checks = entries.body.entries.filter((e: { action: string }) => e.action === 'identity.check');
    assert.ok(checks.length >= 10);
    for (const e of checks)
      assert.match(e.details.ssn, /^[0-9]{6}\*{8}[0-9X]{4}$/, 'only masked ID numbers in the audit log');
    const released = entries.body.entries.filter(
      (e: { action: string }) => e.action === 'card.externalAuthenticate',
    );
    assert.deepEqual(
      released.map((e: { terminalId: string; result: string }) => [e.terminalId, e.result]),
      [
        ['kiosk-1', 'ok'],
        ['kiosk-1', 'ok'],
        ['hosp-1', 'CARD_UNKNOWN'],
      ],
      'every cryptogram handed out, and every refusal, is audited',
    );
    const verdict = await t.call('GET', '/v1/audit/verify', { token: t.adminToken });
    assert.equal(verdict.body.ok, true);
  });
});
