import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, isSecretFieldName, redact } from './log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: string[] = [];
  const log = createLogger({
    level,
    write: (line) => lines.push(line),
    now: () => new Date('2024-05-01T08:00:00Z'),
  });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('structured log', () => {
  it('writes one JSON object per line with time, level and message', () => {
    const { log, lines, records } = capture();
    log.info('reader added', { reader: 'Virtual PCD 00 00' });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    assert.deepEqual(records()[0], {
      time: '2024-05-01T08:00:00.000Z',
      level: 'info',
      msg: 'reader added',
      reader: 'Virtual PCD 00 00',
    });
  });

  it('drops records below the configured level', () => {
    const { log, lines } = capture('warn');
    log.debug('apdu');
    log.info('card inserted');
    log.warn('reader gone');
    assert.equal(lines.length, 1);
    assert.equal(log.isEnabled('info'), false);
  });

  it('masks a resident ID number wherever it appears, including inside an iReadCardBas string', () => {
    const { log, records } = capture();
    log.info('read 110101199001011234', {
      ssn: '11010119900101123X',
      output: '639900|111111198101011110|X00000019|639900D15600000500BF7C7A48FB4966|张三|',
      nested: { list: ['110101199001011234'] },
    });
    const record = records()[0]!;
    assert.equal(record.msg, 'read 110101********1234');
    assert.equal(record.ssn, '110101********123X');
    assert.equal(record.output, '639900|111111********1110|X00000019|639900D15600000500BF7C7A48FB4966|张三|');
    assert.deepEqual(record.nested, { list: ['110101********1234'] });
  });

  it('leaves a 32-character card identification code alone', () => {
    assert.equal(redact('639900D15600000500BF7C7A48FB4966'), '639900D15600000500BF7C7A48FB4966');
  });

  it('drops fields named pin, key or secret at any depth', () => {
    const { log, records } = capture();
    log.info('verify', {
      pin: '123456',
      newPin: '654321',
      pin_block: 'AB',
      masterKey: '0011',
      clientSecret: 's',
      card: { apiKey: 'k', reader: 'r', token: 't' },
      pinpad: 'sscard-serial',
      keypad: true,
    });
    assert.deepEqual(records()[0], {
      time: '2024-05-01T08:00:00.000Z',
      level: 'info',
      msg: 'verify',
      card: { reader: 'r' },
      pinpad: 'sscard-serial',
      keypad: true,
    });
  });

  it('never writes the bytes of a buffer, only its length', () => {
    const { log, records } = capture();
    log.debug('apdu', { command: Buffer.from('0020000003123456', 'hex') });
    assert.equal(records()[0]!.command, '[8 bytes]');
  });

  it('keeps the head fields even when a field has the same name', () => {
    const { log, records } = capture();
    log.error('failed', { level: 'debug', msg: 'other', time: 'then' });
    const record = records()[0]!;
    assert.equal(record.level, 'error');
    assert.equal(record.msg, 'failed');
  });

  it('logs an error as its name, code and message without the stack', () => {
    const { log, records } = capture();
    const error = Object.assign(new Error('reader 110101199001011234 gone'), { code: 'ReaderGone' });
    log.warn('read failed', { error });
    assert.deepEqual(records()[0]!.error, {
      name: 'Error',
      message: 'reader 110101********1234 gone',
      code: 'ReaderGone',
    });
  });

  it("adds a child logger's fields to every record", () => {
    const { log, records } = capture();
    log.child({ component: 'api' }).info('listening');
    assert.equal(records()[0]!.component, 'api');
  });

  it('tells secret field names by their words, not substrings', () => {
    assert.equal(isSecretFieldName('oldPin'), true);
    assert.equal(isSecretFieldName('PIN'), true);
    assert.equal(isSecretFieldName('session_key'), true);
    assert.equal(isSecretFieldName('pinpad'), false);
    assert.equal(isSecretFieldName('keyboardLayout'), false);
  });

  it("redacts a child logger's fields like any record's", () => {
    const { log, records } = capture();
    log.child({ ssn: '110101199001011234', apiKey: 'k', reader: 'r' }).info('bound');
    const record = records()[0]!;
    assert.equal(record.ssn, '110101********1234');
    assert.equal(record.apiKey, undefined);
    assert.equal(record.reader, 'r');
  });

  it('writes nothing at level silent', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'silent', write: (line) => lines.push(line) });
    log.error('reader gone');
    assert.deepEqual(lines, []);
    assert.equal(log.isEnabled('error'), false);
  });
});
