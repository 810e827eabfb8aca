import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReaderError } from './errors.js';
import { classifyPcscFailure, decodeSlotState, pcscResultOf, readerErrorFromPcsc } from './pcsc-status.js';

describe('PC/SC failures', () => {
  it('reads the result code out of the binding message', () => {
    assert.equal(pcscResultOf(new Error('SCardConnect error: Card was removed.(0x80100069)')), 0x80100069);
    assert.equal(pcscResultOf(new Error('Card Reader not connected')), undefined);
  });

  it('treats a dead pcscd (transport error) and a missing one alike as a service outage', () => {
    assert.equal(
      classifyPcscFailure(new Error('SCardGetStatusChange error: RPC transport error.(0x80100013)')),
      'service',
    );
    assert.equal(
      classifyPcscFailure(new Error('SCardEstablishContext error: Service not available.(0x8010001d)')),
      'service',
    );
  });

  it('tells a pulled card from a busy reader and from an unknown failure', () => {
    const removed = readerErrorFromPcsc(
      new Error('SCardTransmit error: Card was removed.(0x80100069)'),
      'R',
      'SCardTransmit',
    );
    const busy = readerErrorFromPcsc(
      new Error('SCardConnect error: Sharing violation.(0x8010000b)'),
      'R',
      'SCardConnect',
    );
    const other = readerErrorFromPcsc(new Error('something else'), 'R', 'SCardTransmit');
    assert.ok(removed instanceof ReaderError);
    assert.equal(removed.code, 'CardRemoved');
    assert.equal(busy.code, 'ReaderBusy');
    assert.equal(other.code, 'ReaderFailure');
    assert.equal(removed.details?.pcscResult, '0x80100069');
  });
});

describe('slot state', () => {
  it('decodes a present card with pcscd event count in the high word', () => {
    const s = decodeSlotState(0x30022);
    assert.equal(s.present, true);
    assert.equal(s.mute, false);
  });
  it('decodes an empty slot held exclusively a moment ago', () => {
    const s = decodeSlotState(0x40092);
    assert.equal(s.present, false);
    assert.equal(s.exclusive, true);
  });
  it('decodes a card that did not answer reset as mute', () => {
    assert.equal(decodeSlotState(0x222).mute, true);
  });
});
