import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CardError, ProtocolError, ValidationError } from '@sscard/card-core';
import { PinEntryError } from '../pinpad/errors.js';
import { ReaderError } from '../readers/errors.js';
import { summarise } from '../verification/check-registry.js';
import { PsamError } from './psam.js';
import { returnCodeFor, returnCodeForPin, returnCodeForReport } from './return-codes.js';
import { NotSsseCardError } from './ssse.js';

describe('ministry return codes', () => {
  it('reports no card for an empty reader and for a card pulled during the read', () => {
    assert.equal(returnCodeFor(new ReaderError('NoCard', 'x')), -2);
    assert.equal(returnCodeFor(new ReaderError('CardRemoved', 'x')), -2);
  });
  it('reports a reader connection error when pcscd or the reader is gone', () => {
    assert.equal(returnCodeFor(new ReaderError('ServiceUnavailable', 'x')), -11);
    assert.equal(returnCodeFor(new ReaderError('ReaderGone', 'x')), -11);
  });
  it('reports no response for a mute card and for answers that are not APDUs', () => {
    assert.equal(returnCodeFor(new ReaderError('CardMute', 'x')), -4);
    assert.equal(returnCodeFor(new ProtocolError('T0_CHAIN_TOO_LONG', 'x')), -4);
    assert.equal(returnCodeFor(new ProtocolError('RESPONSE_TOO_SHORT', 'x')), -4);
  });
  it('reports a wrong card type for a card without the social security application', () => {
    assert.equal(returnCodeFor(new NotSsseCardError(new CardError(0x6a82))), -1);
  });
  it('passes a card status word through negated', () => {
    assert.equal(returnCodeFor(new CardError(0x6a82)), -27266);
    assert.equal(returnCodeFor(new CardError(0x63c0)), -25536);
  });
  it('maps the PSAM failures to -2201, -2202 and -2203', () => {
    assert.equal(returnCodeFor(new PsamError('PSAM_ABSENT', 'x')), -2201);
    assert.equal(returnCodeFor(new PsamError('PSAM_ALGORITHM_UNSUPPORTED', 'x')), -2202);
    assert.equal(returnCodeFor(new PsamError('PSAM_KEY_MISSING', 'x')), -2203);
  });
  it('reports illegal data for card records that do not decode, and a format error for a bad identification code', () => {
    assert.equal(returnCodeFor(new ProtocolError('RECORD_TRUNCATED', 'x')), -23);
    assert.equal(returnCodeFor(new ValidationError('CARD_ID_FORMAT', 'x')), -20);
  });
  it('passes PIN pad return codes through', () => {
    assert.equal(returnCodeFor(new PinEntryError('PIN_CANCELLED', 'x')), -31);
  });
  it('re-throws programming errors instead of disguising them as card problems', () => {
    assert.throws(() => returnCodeFor(new TypeError('bug')), TypeError);
  });
  it('reports a card that failed authentication as not genuine (-21) and inconsistent data as -22', () => {
    const auth = summarise([{ check: 'card-authentication', status: 'failed', reason: 'wrong cryptogram' }]);
    const data = summarise([{ check: 'region-consistency', status: 'failed', reason: 'region differs' }]);
    const good = summarise([{ check: 'card-authentication', status: 'passed' }]);
    assert.equal(returnCodeForReport(auth), -21);
    assert.equal(returnCodeForReport(data), -22);
    assert.equal(returnCodeForReport(good), 0);
  });
  it('maps PIN outcomes to -51 and -52', () => {
    assert.equal(returnCodeForPin({ state: 'ok' }), 0);
    assert.equal(returnCodeForPin({ state: 'wrong', triesLeft: 2 }), -51);
    assert.equal(returnCodeForPin({ state: 'blocked' }), -52);
  });
});
