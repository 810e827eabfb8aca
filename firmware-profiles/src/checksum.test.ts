import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bcc, CRC16_NAMES, CRC16_VARIANTS, crc16 } from './checksum.js';

const CHECK_INPUT = Buffer.from('123456789', 'ascii');

test('CRC-16/CCITT-FALSE of "123456789" is its check value 0x29B1', () => {
  assert.equal(crc16('CRC-16/CCITT-FALSE', CHECK_INPUT), 0x29b1);
});

for (const name of CRC16_NAMES) {
  test(`${name} gives its published check value`, () => {
    assert.equal(crc16(name, CHECK_INPUT), CRC16_VARIANTS[name].check);
  });
}

test('CRC-16 of no bytes is the initial value', () => {
  assert.equal(crc16('CRC-16/CCITT-FALSE', Buffer.alloc(0)), 0xffff);
  assert.equal(crc16('CRC-16/XMODEM', Buffer.alloc(0)), 0x0000);
});

test('BCC is the XOR of all bytes', () => {
  assert.equal(bcc(Buffer.from([0x00, 0x02, 0x12, 0x00, 0xa4])), 0x02 ^ 0x12 ^ 0xa4);
  assert.equal(bcc(Buffer.alloc(0)), 0);
});
