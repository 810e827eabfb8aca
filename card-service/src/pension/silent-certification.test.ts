import assert from 'node:assert/strict';
import { test } from 'node:test';
import { manualClock } from '../clock.js';
import { recordPresence } from '../registry/presence-log.js';
import { forEachEngine } from '../testing/engines-fixture.js';
import { addPensioners } from '../testing/pension-fixture.js';
import { getEntitlement } from './entitlements.js';
import { runPensionMonth } from './monthly-run.js';

forEachEngine('silent certification and its near misses', ({ open }) => {
  test('behaviour in the window and of a counted kind certifies; older behaviour, or a kind not counted, does not', async () => {
    const store = await open();
    const clock = manualClock('2026-01-10T02:00:00Z');
    const [old, uncounted, seen] = await addPensioners(store, clock, 3, {
      regions: ['330300'],
      firstMonths: ['2026-01'],
    });
    const behaved = (personNo: string, kind: 'settlement' | 'card_event' | 'identity_check', at: string) =>
      recordPresence(store, {
        personNo,
        cardNumber: 'X00000019',
        kind,
        terminalId: 't1',
        region: '330300',
        at,
      });
    // Seven months before the run: outside a six-month window.
    await behaved(old!.personNo, 'settlement', '2026-06-11T02:00:00.000Z');
    await behaved(uncounted!.personNo, 'identity_check', '2026-12-01T02:00:00.000Z');
    await behaved(seen!.personNo, 'card_event', '2026-12-01T02:00:00.000Z');
    clock.set('2027-01-12T02:00:00Z');
    const [r] = await runPensionMonth(store, clock, {
      month: '2027-01',
      silentCertification: { windowMonths: 6, events: ['settlement', 'card_event'] },
    });
    assert.equal(r!.holders, 1, 'one holder certified by behaviour and paid');
    const status = async (personNo: string) => {
      const e = (await getEntitlement(store, personNo))!;
      return [e.status, e.suspendedFor, e.certifiedUntil];
    };
    assert.deepEqual(await status(old!.personNo), ['suspended', 'certification', '2027-01-09']);
    assert.deepEqual(await status(uncounted!.personNo), ['suspended', 'certification', '2027-01-09']);
    assert.deepEqual(await status(seen!.personNo), ['active', null, '2027-11-30']);
    const silent = await store.all<{ person_no: string; method: string; evidence: string }>(
      'SELECT person_no, method, evidence FROM pension_certifications',
    );
    assert.deepEqual(
      silent.map((c) => [c.person_no, c.method, JSON.parse(c.evidence).kind]),
      [[seen!.personNo, 'silent', 'card_event']],
    );
  });
});
