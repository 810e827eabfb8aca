import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSsseAtr, historicalBytesFor, makeCitizenId, type SsseBasicInfo } from '@sscard/card-core';
import { ReaderError } from '../readers/errors.js';
import { RegistryError } from '../registry/errors.js';
import { registryCouldNotJudge } from '../registry/remote-card-auth.js';
import type { CardSession } from '../session/card-session.js';
import { type CardAuthVerifier, prepareCardAuthChallenge } from './card-auth-verifier.js';
import type { CardCheckContext } from './card-context.js';
import { CheckRegistry } from './check-registry.js';
import { cardAuthentication } from './rules/card-authentication.js';
import { holderDataConsistency } from './rules/holder-data.js';
import { regionConsistency } from './rules/region-consistency.js';
import { validityPeriod } from './rules/validity-period.js';
import { type CardCheck, type CheckContext, fail, PASS } from './types.js';

const CARD_ID = '330300D15600000512345678ABCDEF01';
const NOW = new Date('2024-06-01T04:00:00Z');

function context(
  overrides: Partial<SsseBasicInfo> = {},
  options: { atr?: Buffer; holder?: boolean } = {},
): CheckContext {
  const info: SsseBasicInfo = {
    cardIdCode: CARD_ID,
    cardType: '1',
    specVersion: '3.00',
    initOrg: '33030000',
    issueDate: '20200101',
    expiryDate: '20300101',
    cardNumber: 'A12345678',
    ssn: makeCitizenId('330302', '19800101', 123),
    name: '张三',
    gender: '1',
    ethnicity: '01',
    birthplace: '330302',
    birthDate: '19800101',
    ...overrides,
  };
  return {
    subject: {
      atr: options.atr ?? buildSsseAtr(historicalBytesFor(CARD_ID)),
      info,
      generation: 3,
      holderDataRead: options.holder ?? true,
    },
    now: NOW,
  };
}

async function verdictOf(check: CardCheck, ctx: CheckContext) {
  return check.run(ctx);
}

describe('validity-period', () => {
  it('accepts a card inside its validity period', async () => {
    assert.deepEqual(await verdictOf(validityPeriod, context()), PASS);
  });
  it('rejects a card that expired yesterday in China time', async () => {
    // 2024-05-31T16:30Z is already 1 June in China.
    const ctx = { ...context({ expiryDate: '20240531' }), now: new Date('2024-05-31T16:30:00Z') };
    const verdict = await verdictOf(validityPeriod, ctx);
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /expired on 20240531/);
  });
  it('rejects a card issued in the future', async () => {
    assert.equal((await verdictOf(validityPeriod, context({ issueDate: '20250101' }))).ok, false);
  });
});

describe('holder-data-consistency', () => {
  it('accepts a valid number whose birth date and gender match the card', async () => {
    assert.deepEqual(await verdictOf(holderDataConsistency, context()), PASS);
  });
  it('rejects a number with a wrong check character without showing the number', async () => {
    const good = makeCitizenId('330302', '19800101', 123);
    const bad = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const verdict = await verdictOf(holderDataConsistency, context({ ssn: bad }));
    assert.equal(verdict.ok, false);
    const reason = !verdict.ok ? verdict.reason : '';
    assert.match(reason, /checkChar/);
    assert.ok(!reason.includes(bad));
  });
  it('rejects a birth date that differs from the number', async () => {
    assert.equal((await verdictOf(holderDataConsistency, context({ birthDate: '19800102' }))).ok, false);
  });
  it('rejects a gender that differs from the number', async () => {
    assert.equal((await verdictOf(holderDataConsistency, context({ gender: '2' }))).ok, false);
  });
  it('is skipped when the holder data was not released', () => {
    assert.match(holderDataConsistency.skipReason(context({}, { holder: false })) ?? '', /not released/);
  });
});

describe('region-consistency', () => {
  it('accepts an ATR derived from the identification code', async () => {
    assert.deepEqual(await verdictOf(regionConsistency, context()), PASS);
  });
  it("rejects an ATR carrying another card's region", async () => {
    const other = '320200D15600000512345678ABCDEF01';
    const verdict = await verdictOf(
      regionConsistency,
      context({}, { atr: buildSsseAtr(historicalBytesFor(other)) }),
    );
    assert.equal(verdict.ok, false);
    assert.match(!verdict.ok ? verdict.reason : '', /region 3202/);
  });
  it("rejects an ATR carrying another card's issuer bytes", async () => {
    const other = '330300D15600000599999999ABCDEF01';
    const verdict = await verdictOf(
      regionConsistency,
      context({}, { atr: buildSsseAtr(historicalBytesFor(other)) }),
    );
    assert.match(!verdict.ok ? verdict.reason : '', /issuer bytes/);
  });
  it('rejects an ATR that is not a social security card ATR', async () => {
    const verdict = await verdictOf(regionConsistency, context({}, { atr: Buffer.from('3B021450', 'hex') }));
    assert.equal(verdict.ok, false);
  });
});

describe('check registry', () => {
  const passing: CardCheck = {
    name: 'always',
    description: '',
    skipReason: () => undefined,
    run: async () => PASS,
  };
  const failing: CardCheck = {
    name: 'never',
    description: '',
    skipReason: () => undefined,
    run: async () => fail('because'),
  };
  const skipped: CardCheck = {
    name: 'not-here',
    description: '',
    skipReason: () => 'no PSAM',
    run: async () => PASS,
  };

  it('names which checks ran, passed, failed with a reason, and were skipped', async () => {
    const report = await new CheckRegistry([passing, failing, skipped]).verify(context());
    assert.equal(report.genuine, false);
    assert.deepEqual(report.ran, ['always', 'never']);
    assert.deepEqual(report.passed, ['always']);
    assert.deepEqual(report.failed, [{ check: 'never', reason: 'because' }]);
    assert.deepEqual(report.skipped, [{ check: 'not-here', reason: 'no PSAM' }]);
  });

  it('reports a card genuine when no check failed', async () => {
    const report = await new CheckRegistry([passing, skipped]).verify(context());
    assert.equal(report.genuine, true);
  });

  it('lets a pulled card end the verification instead of judging the card', async () => {
    const pulled: CardCheck = {
      name: 'pulled',
      description: '',
      skipReason: () => undefined,
      run: async () => {
        throw new ReaderError('CardRemoved', 'the card was removed');
      },
    };
    await assert.rejects(new CheckRegistry([pulled]).verify(context()), (e) => e instanceof ReaderError);
  });

  it('refuses two checks with the same name', () => {
    assert.throws(() => new CheckRegistry([passing, passing]));
  });
});

describe('card-authentication', () => {
  const cryptogram = Buffer.alloc(8, 0x11);
  // Only INTERNAL AUTHENTICATE reaches the card in this check; it answers one block and 9000.
  const session = {
    transmit: async () => ({ data: cryptogram, sw: 0x9000 }),
  } as unknown as CardSession;

  function cardContext(verifier: CardAuthVerifier): CardCheckContext {
    return {
      ...context(),
      session,
      algorithm: '3des',
      cardAuth: verifier,
      debit: async () => undefined,
    };
  }

  function verifier(behaviour: { challenge?: () => never; verify?: () => boolean }): CardAuthVerifier {
    return {
      name: 'card-service',
      challenge: async () => {
        behaviour.challenge?.();
        return { challenge: Buffer.alloc(8, 0x22), reference: 'c-1' };
      },
      verify: async () => behaviour.verify?.() ?? true,
      unableToJudge: registryCouldNotJudge,
    };
  }

  const cannotJudge: [string, RegistryError][] = [
    ['the service unreachable', new RegistryError('REGISTRY_UNREACHABLE', 'connect ECONNREFUSED')],
    [
      'the outcome unknown',
      new RegistryError('REGISTRY_UNREACHABLE', 'socket hang up', { outcomeUnknown: true }),
    ],
    ['the terminal revoked', new RegistryError('TERMINAL_REVOKED', 'certificate revoked', { status: 403 })],
    ['the certificate expired', new RegistryError('CERTIFICATE_EXPIRED', 'expired')],
    ['an answer that is not the protocol', new RegistryError('REGISTRY_PROTOCOL', 'not JSON')],
    [
      'a spent challenge',
      new RegistryError('REFUSED', 'challenge used', { serviceCode: 'CHALLENGE_USED', status: 409 }),
    ],
  ];
  for (const [what, error] of cannotJudge) {
    it(`is skipped, not failed, with ${what} at the challenge or the verdict`, async () => {
      for (const v of [
        verifier({
          challenge: () => {
            throw error;
          },
        }),
        verifier({
          verify: () => {
            throw error;
          },
        }),
      ]) {
        const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(cardContext(v));
        assert.equal(report.genuine, true);
        assert.deepEqual(report.failed, []);
        assert.equal(report.skipped.length, 1);
        assert.match(report.skipped[0]!.reason, new RegExp(error.code));
      }
    });
  }

  it('fails when the service refuses the cryptogram', async () => {
    const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(
      cardContext(verifier({ verify: () => false })),
    );
    assert.equal(report.genuine, false);
    assert.deepEqual(
      report.failed.map((f) => f.check),
      ['card-authentication'],
    );
  });

  it('fails when the service refuses to vouch for the card', async () => {
    const unknown = new RegistryError('REFUSED', 'no such card', { serviceCode: 'CARD_UNKNOWN' });
    const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(
      cardContext(
        verifier({
          verify: () => {
            throw unknown;
          },
        }),
      ),
    );
    assert.equal(report.genuine, false);
    assert.match(report.failed[0]!.reason, /REFUSED/);
  });

  it('passes when the service accepts the cryptogram', async () => {
    const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(
      cardContext(verifier({})),
    );
    assert.deepEqual(report.passed, ['card-authentication']);
  });

  describe('with a challenge prepared while the card was read', () => {
    function counting(): CardAuthVerifier & { asked: number; verified: string[] } {
      const v = {
        name: 'card-service',
        asked: 0,
        verified: [] as string[],
        challenge: async () => {
          v.asked++;
          return { challenge: Buffer.alloc(8, 0x33), reference: 'asked-now' };
        },
        verify: async (request: { reference?: string }) => {
          v.verified.push(request.reference ?? '');
          return true;
        },
        unableToJudge: registryCouldNotJudge,
      };
      return v;
    }
    const request = { cardIdCode: CARD_ID, algorithm: '3des' as const };
    /** A challenge prepared for `v` and this card, already issued. */
    const issuedFor = (v: CardAuthVerifier) => ({
      verifier: v,
      request,
      issued: Promise.resolve({ challenge: Buffer.alloc(8, 0x44), reference: 'prepared' }),
    });

    it('takes the prepared challenge instead of asking again', async () => {
      const v = counting();
      const ctx = { ...cardContext(v), preparedChallenge: issuedFor(v) };
      const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(ctx);
      assert.deepEqual(report.passed, ['card-authentication']);
      assert.equal(v.asked, 0);
      assert.deepEqual(v.verified, ['prepared']);
    });

    it('judges a prepared challenge that failed as if it had been asked for then', async () => {
      const v = counting();
      const error = new RegistryError('REGISTRY_UNREACHABLE', 'connect ECONNREFUSED');
      const prepared = prepareCardAuthChallenge({ ...v, challenge: () => Promise.reject(error) }, request);
      const ctx = { ...cardContext(v), preparedChallenge: { ...prepared, verifier: v } };
      const report = await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(ctx);
      assert.equal(report.genuine, true);
      assert.match(report.skipped[0]!.reason, /REGISTRY_UNREACHABLE/);
      assert.equal(v.asked, 0);
    });

    it('asks again when the prepared challenge was for another card or another verifier', async () => {
      for (const other of [
        { request: { ...request, cardIdCode: '330300D15600000599999999ABCDEF01' } },
        { request: { ...request, algorithm: 'sm4' as const } },
        { verifier: counting() },
      ]) {
        const v = counting();
        const ctx = { ...cardContext(v), preparedChallenge: { ...issuedFor(v), ...other } };
        await new CheckRegistry<CardCheckContext>([cardAuthentication]).verify(ctx);
        assert.equal(v.asked, 1, JSON.stringify(other));
        assert.deepEqual(v.verified, ['asked-now']);
      }
    });

    it('never leaves a failed preparation unhandled', async () => {
      const unhandled: unknown[] = [];
      const watch = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', watch);
      try {
        prepareCardAuthChallenge(
          {
            name: 'x',
            challenge: () => Promise.reject(new Error('down')),
            verify: async () => true,
          },
          request,
        );
        prepareCardAuthChallenge(
          {
            name: 'y',
            challenge: () => {
              throw new Error('thrown at once');
            },
            verify: async () => true,
          },
          request,
        );
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('unhandledRejection', watch);
      }
      assert.deepEqual(unhandled, []);
    });
  });
});

describe('a card that failed a check', () => {
  it('gets no further commands: later checks that use the card are not run', async () => {
    let ran = false;
    const failing: CardCheck = {
      name: 'data',
      description: '',
      skipReason: () => undefined,
      run: async () => fail('inconsistent'),
    };
    const talking: CardCheck = {
      name: 'talks-to-card',
      description: '',
      usesCard: true,
      skipReason: () => undefined,
      run: async () => {
        ran = true;
        return PASS;
      },
    };
    const offline: CardCheck = { ...failing, name: 'offline', run: async () => PASS };
    const report = await new CheckRegistry([failing, talking, offline]).verify(context());
    assert.equal(ran, false);
    assert.deepEqual(report.skipped, [
      { check: 'talks-to-card', reason: 'not run: the card already failed data' },
    ]);
    assert.deepEqual(report.passed, ['offline']);
  });
});

describe('checks on the iReadCardBas read', () => {
  it('judge the SSN without the birth date and gender that were not read', async () => {
    const ctx = context({ birthDate: '', gender: '' as never, birthplace: '' });
    ctx.subject.fieldsRead = new Set([
      'cardIdCode',
      'specVersion',
      'issueDate',
      'expiryDate',
      'cardNumber',
      'ssn',
      'name',
    ]);
    assert.deepEqual(await verdictOf(holderDataConsistency, ctx), PASS);
    assert.deepEqual(await verdictOf(regionConsistency, ctx), PASS);
  });
});

describe('checks run ahead while the last record is on its way', () => {
  const checks = () => [regionConsistency, validityPeriod, holderDataConsistency];

  it('give the report verify gives without them, and run once each', async () => {
    for (const overrides of [
      {},
      { expiryDate: '20240101' },
      { ssn: `${makeCitizenId('330302', '19800101', 123).slice(0, 17)}0` },
    ]) {
      const plain = await new CheckRegistry(checks()).verify(context(overrides));
      const registry = new CheckRegistry(checks());
      const ahead = registry.runAhead(context(overrides), new Set(['ethnicity']));
      assert.deepEqual(
        [...ahead.outcomes.keys()],
        ['region-consistency', 'validity-period', 'holder-data-consistency'],
      );
      assert.deepEqual(await registry.verify(context(overrides), ahead), plain);
    }
  });

  it('leave a check whose field is still on its way, or that names no fields, to verify', async () => {
    let runs = 0;
    const unnamed: CardCheck = {
      name: 'unnamed',
      description: '',
      skipReason: () => undefined,
      run: async () => {
        runs++;
        return PASS;
      },
    };
    const registry = new CheckRegistry([...checks(), unnamed]);
    const ahead = registry.runAhead(context(), new Set(['birthDate']));
    assert.deepEqual([...ahead.outcomes.keys()], ['region-consistency', 'validity-period']);
    assert.equal(runs, 0);
    const report = await registry.verify(context(), ahead);
    assert.equal(runs, 1);
    assert.deepEqual(report.passed, [
      'region-consistency',
      'validity-period',
      'holder-data-consistency',
      'unnamed',
    ]);
  });

  it('never run a check that uses the card, which still stops after a failure ahead', async () => {
    let talked = false;
    const talking: CardCheck = {
      name: 'talks-to-card',
      description: '',
      usesCard: true,
      judges: ['cardIdCode'],
      skipReason: () => undefined,
      run: async () => {
        talked = true;
        return PASS;
      },
    };
    const registry = new CheckRegistry([validityPeriod, talking]);
    const ctx = context({ expiryDate: '20240101' });
    const ahead = registry.runAhead(ctx, new Set());
    assert.deepEqual([...ahead.outcomes.keys()], ['validity-period']);
    const report = await registry.verify(ctx, ahead);
    assert.equal(talked, false);
    assert.deepEqual(report.skipped, [
      { check: 'talks-to-card', reason: 'not run: the card already failed validity-period' },
    ]);
  });

  it('report what a check run ahead threw in its place', async () => {
    const broken: CardCheck = {
      name: 'broken',
      description: '',
      judges: ['ssn'],
      skipReason: () => undefined,
      run: async () => {
        throw new TypeError('a bug');
      },
    };
    const brokenSkip: CardCheck = {
      ...broken,
      name: 'broken-skip',
      skipReason: () => {
        throw new RangeError('no');
      },
    };
    for (const [check, error] of [
      [broken, TypeError],
      [brokenSkip, RangeError],
    ] as const) {
      const registry = new CheckRegistry([validityPeriod, check]);
      const ahead = registry.runAhead(context(), new Set());
      await assert.rejects(registry.verify(context(), ahead), error);
    }
  });
});
