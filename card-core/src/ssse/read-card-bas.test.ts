import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ProtocolError, ValidationError } from '../errors.js';
import {
  formatReadCardBas,
  parseReadCardBas,
  READ_CARD_BAS_FIELD_ORDER,
  type ReadCardBasFields,
  swToReturnCode,
} from './read-card-bas.js';

const DESIGN_EXAMPLE =
  '639900|111111198101011110|X00000019|639900D15600000500BF7C7A48FB4966|张三|00814E43238697159900BF7C7A|1.00|20101001|20201001|410100813475|DEV0001|';

describe('iReadCardBas output', () => {
  test('round-trips the DESIGN example exactly', () => {
    const fields = parseReadCardBas(DESIGN_EXAMPLE);
    assert.equal(fields.region, '639900');
    assert.equal(fields.ssn, '111111198101011110');
    assert.equal(fields.name, '张三');
    assert.equal(fields.atrHistorical, '00814E43238697159900BF7C7A');
    assert.equal(fields.terminalDeviceNumber, 'DEV0001');
    assert.equal(formatReadCardBas(fields), DESIGN_EXAMPLE);
  });

  test('leaves personal fields empty for a generation 3 card read without authentication', () => {
    const fields = { ...parseReadCardBas(DESIGN_EXAMPLE), ssn: '', name: '' };
    const text = formatReadCardBas(fields);
    assert.ok(text.startsWith('639900||X00000019|639900D15600000500BF7C7A48FB4966||'));
    assert.deepEqual(parseReadCardBas(text), fields);
  });

  test('rejects a missing trailing pipe, too few or too many fields', () => {
    for (const bad of [
      DESIGN_EXAMPLE.slice(0, -1),
      DESIGN_EXAMPLE.replace('DEV0001|', ''),
      `${DESIGN_EXAMPLE}x|`,
      '',
    ]) {
      assert.throws(
        () => parseReadCardBas(bad),
        (e: unknown) => e instanceof ProtocolError && e.code === 'READ_CARD_BAS_FORMAT',
      );
    }
  });

  test('refuses to format a field containing the separator', () => {
    assert.throws(
      () => formatReadCardBas({ ...parseReadCardBas(DESIGN_EXAMPLE), name: '张|三' }),
      ValidationError,
    );
  });

  test('round-trips any fields without a separator', () => {
    const field = fc.string({ maxLength: 40 }).filter((s) => !s.includes('|'));
    const record = fc.record(
      Object.fromEntries(READ_CARD_BAS_FIELD_ORDER.map((k) => [k, field])) as Record<
        keyof ReadCardBasFields,
        fc.Arbitrary<string>
      >,
    );
    fc.assert(
      fc.property(record, (fields) => {
        assert.deepEqual(parseReadCardBas(formatReadCardBas(fields)), { ...fields });
      }),
    );
  });
});

describe('iReadCardBas return codes', () => {
  test('passes a card status word through negated', () => {
    assert.equal(swToReturnCode(0x63c0), -25536);
    assert.equal(swToReturnCode(0x6a82), -27266);
    assert.equal(swToReturnCode(0x9000), 0);
    assert.throws(() => swToReturnCode(0x10000), ValidationError);
  });
});
