import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ValidationError } from '../errors.js';
import { citizenIdCheckChar, isValidCitizenId, makeCitizenId, validateCitizenId } from './citizen-id.js';

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.code, 'CITIZEN_ID_INVALID');
    return e.details?.reason;
  }
  assert.fail('expected a ValidationError');
}

describe('citizen ID (GB 11643-1999)', () => {
  test('computes the check characters of the standard’s own examples, including X', () => {
    assert.equal(citizenIdCheckChar('11010519491231002'), 'X');
    assert.equal(citizenIdCheckChar('44052418800101001'), '4');
  });

  test('accepts real-looking numbers and reports their parts', () => {
    assert.deepEqual(validateCitizenId('11010519491231002X'), {
      region: '110105',
      birthDate: '19491231',
      sequence: '002',
      gender: '2',
    });
    assert.equal(validateCitizenId('330302198506120117').gender, '1');
    assert.equal(validateCitizenId('32020219920229019X').birthDate, '19920229');
    assert.equal(validateCitizenId('111111198101011110').region, '111111');
  });

  test('names the rule a bad number breaks', () => {
    assert.equal(
      reasonOf(() => validateCitizenId('11010519491231002')),
      'length',
    );
    assert.equal(
      reasonOf(() => validateCitizenId('11010519491231002x')),
      'format',
    );
    assert.equal(
      reasonOf(() => validateCitizenId('1101051949123100AX')),
      'format',
    );
    assert.equal(
      reasonOf(() => validateCitizenId('001105194912310028')),
      'region',
    );
    assert.equal(
      reasonOf(() => validateCitizenId(makeLike('110105', '19910229'))),
      'birthDate',
    );
    assert.equal(
      reasonOf(() => validateCitizenId('110105194912310021')),
      'checkChar',
    );
  });

  test('rejects a birth date after today in China, and accepts today', () => {
    const id = makeCitizenId('110105', '20240301', 11);
    // 2024-02-29 16:30 UTC is already 1 March in Beijing.
    assert.equal(validateCitizenId(id, { now: new Date('2024-02-29T16:30:00Z') }).birthDate, '20240301');
    assert.equal(
      reasonOf(() => validateCitizenId(id, { now: new Date('2024-02-29T15:30:00Z') })),
      'futureBirthDate',
    );
  });

  test('accepts the numbers of Taiwan residence permits and foreign permanent residents', () => {
    assert.ok(isValidCitizenId(makeCitizenId('830000', '19800101', 21)));
    assert.ok(isValidCitizenId(makeCitizenId('931156', '19800101', 21)));
  });

  test('never puts the number into the error message', () => {
    try {
      validateCitizenId('110105194912310021');
      assert.fail('expected a ValidationError');
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      assert.ok(!e.message.includes('1101051949'));
    }
  });

  test('makeCitizenId builds valid numbers whose gender follows the sequence parity', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('110105', '330302', '440305', '510104', '650102'),
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2020-12-31T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 999 }),
        (region, date, seq) => {
          const birth = date.toISOString().slice(0, 10).replaceAll('-', '');
          const id = makeCitizenId(region, birth, seq);
          const parts = validateCitizenId(id);
          assert.equal(parts.gender, seq % 2 === 1 ? '1' : '2');
          assert.equal(parts.birthDate, birth);
          // Any single changed digit in the first 17 breaks the check character.
          const i = seq % 17;
          const changed = id.slice(0, i) + String((Number(id[i]) + 1) % 10) + id.slice(i + 1);
          assert.equal(citizenIdCheckChar(changed.slice(0, 17)) === changed[17], false);
        },
      ),
    );
  });

  test('makeCitizenId refuses a sequence outside 000–999', () => {
    assert.throws(() => makeCitizenId('110105', '19800101', 1000), ValidationError);
    assert.throws(() => makeCitizenId('110105', '19800101', '12'), ValidationError);
  });
});

/** A number with a correct check character around an impossible birth date. */
function makeLike(region: string, birthDate: string): string {
  const first17 = `${region}${birthDate}123`;
  return first17 + citizenIdCheckChar(first17);
}
