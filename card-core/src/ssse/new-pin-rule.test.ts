import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInitialPin, isTrivialPin, newPinRefusal } from './new-pin-rule.js';

const d = (text: string) => Buffer.from(text, 'ascii');

test('the new-PIN rule: the initial PIN first, then one digit repeated or consecutive digits', () => {
  assert.equal(newPinRefusal(d('123456')), 'initial');
  for (const trivial of ['000000', '999999', '012345', '456789', '987654', '543210']) {
    assert.equal(newPinRefusal(d(trivial)), 'trivial', trivial);
  }
  for (const fine of ['246813', '802316', '123457', '112233'])
    assert.equal(newPinRefusal(d(fine)), undefined, fine);
  // 123456 is both: a policy that allows the initial PIN still refuses it as consecutive digits.
  assert.ok(isInitialPin(d('123456')) && isTrivialPin(d('123456')));
  assert.equal(newPinRefusal(d('12345')), undefined);
});
