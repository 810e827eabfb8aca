import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bcdPinBlock, encodePinBlock, iso9564Format0, iso9564Format1 } from './pin-block.js';

test('a 6-digit PIN in BCD is the 3 data bytes of VERIFY', () => {
  assert.equal(bcdPinBlock('123456').toString('hex'), '123456');
  assert.equal(bcdPinBlock('12345').toString('hex'), '12345f');
});

test('ISO 9564 format 0 XORs the PIN field with the 12 PAN digits before the check digit', () => {
  // PAN 43219876543210987: the 12 digits before the check digit 7 are 987654321098.
  const block = iso9564Format0('1234', '43219876543210987');
  const pinField = Buffer.from('041234FFFFFFFFFF', 'hex');
  const account = Buffer.from('0000987654321098', 'hex');
  const expected = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) expected[i] = pinField[i]! ^ account[i]!;
  assert.equal(block.toString('hex'), expected.toString('hex'));
});

test('ISO 9564 format 1 carries control 1, the length and the digits', () => {
  const block = iso9564Format1('123456', () => 0xa);
  assert.equal(block.toString('hex'), '16123456aaaaaaaa');
});

test('a PIN with a non-digit is refused without echoing it', () => {
  assert.throws(
    () => bcdPinBlock('12a456'),
    (e: Error) => !e.message.includes('12a456'),
  );
  assert.throws(() => encodePinBlock('iso9564-0', '123456'), { code: 'PAN_REQUIRED' });
});
