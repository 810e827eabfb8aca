import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TERMINAL_TYPES } from '../config/schema.js';
import { terminalMode } from './terminal-mode.js';

describe('the mode a terminal serves', () => {
  it('is the configured type’s before enrolment', () => {
    assert.deepEqual(
      TERMINAL_TYPES.map((type) => terminalMode(type, undefined)),
      ['kiosk', 'desk', 'desk', 'bank', 'bureau'],
    );
  });

  it('is the certificate’s type’s when the configuration agrees, hospital and pharmacy both desks', () => {
    assert.equal(terminalMode('hospital', 'hospital'), 'desk');
    assert.equal(terminalMode('pharmacy', 'hospital'), 'desk');
    assert.equal(terminalMode('bank', 'bank'), 'bank');
    assert.equal(terminalMode(undefined, 'bank'), 'bank');
    assert.equal(terminalMode('bureau', 'bureau'), 'bureau');
  });

  it('is a kiosk’s, with no desk or counter calls, when the certificate and configuration disagree', () => {
    const disagreeing: [(typeof TERMINAL_TYPES)[number], string][] = [
      ['hospital', 'kiosk'],
      ['bank', 'kiosk'],
      ['kiosk', 'hospital'],
      ['kiosk', 'bank'],
      ['hospital', 'bank'],
      ['bank', 'pharmacy'],
      ['bureau', 'bank'],
      ['bank', 'bureau'],
      ['kiosk', 'bureau'],
    ];
    for (const [configured, enrolled] of disagreeing) {
      assert.equal(terminalMode(configured, enrolled), 'kiosk', `${configured} enrolled as ${enrolled}`);
    }
  });

  it('is a kiosk’s for a certificate type this agent does not know', () => {
    assert.equal(terminalMode('hospital', 'tax-office'), 'kiosk');
    assert.equal(terminalMode(undefined, 'constructor'), 'kiosk');
  });
});
