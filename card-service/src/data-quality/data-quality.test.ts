import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import type { whatif } from '@sscard/registry-protocol';
import { manualClock } from '../clock.js';
import {
  type TestService,
  type TlsIdentity,
  issueActiveCard,
  startTestService,
} from '../testing/api-fixture.js';
import { forEachEngine } from '../testing/engines-fixture.js';

forEachEngine('data quality findings', ({ freshUrl, dataDir }) => {
  let t: TestService;
  let hospital: TlsIdentity;
  const clock = manualClock('2026-05-10T02:00:00.000Z');
  const admin = () => ({ token: t.adminToken });
  const wrongId = (valid: string) => `${valid.slice(0, 17)}${valid[17] === '0' ? '1' : '0'}`;
  let invalidHolder: { personNo: string; valid: string };
  let twins: string[];
  let cardHolder: string;
  let otherId: string;

  const register = async (idNumber: string, name: string) => {
    const r = await t.call('POST', '/v1/holders', {
      ...admin(),
      body: { idNumber, name, ethnicity: '01', region: '330300', relations: [] },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.holder.personNo as string;
  };

  before(async () => {
    t = await startTestService(await freshUrl(), dataDir(), clock);
    hospital = await t.enrolTerminal('hosp-dq', 'hospital');
    const c = await issueActiveCard(t, {
      ssn: makeCitizenId('330302', '19750302', 11),
      name: '王秀英',
      schemeCode: '310',
      startDate: '2012-07-01',
    });
    cardHolder = c.personNo;
    const read = await t.call('POST', '/v1/identity/check', {
      identity: hospital,
      body: { cardIdCode: c.cardIdCode, cardNumber: c.cardNumber, ssn: c.ssn, name: '王秀芳' },
    });
    assert.equal(read.body.reason, 'HOLDER_MISMATCH');
    twins = [
      await register(makeCitizenId('330302', '19800101', 21), '张伟'),
      await register(makeCitizenId('330302', '19800101', 23), '张伟'),
    ];
    const valid = makeCitizenId('330302', '19660606', 31);
    const personNo = await register(valid, '李娜');
    // A record from before numbers were checked at entry: its check character is wrong.
    await t.service.store.run('UPDATE holders SET id_number = ? WHERE person_no = ?', [
      wrongId(valid),
      personNo,
    ]);
    invalidHolder = { personNo, valid };
    otherId = makeCitizenId('330302', '19900909', 41);
    await register(otherId, '刘洋');
  });
  after(() => t.service.close());

  const scan = async (): Promise<whatif.DataQualityScanResult> => {
    const started = await t.call('POST', '/v1/analyses/data-quality', { ...admin(), body: {} });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    for (;;) {
      const job = await t.call('GET', `/v1/analyses/data-quality/${started.body.jobId}`, admin());
      if (job.body.status === 'done') return job.body.result;
      assert.equal(job.body.status, 'running', JSON.stringify(job.body));
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const open = async (): Promise<whatif.Finding[]> =>
    (await t.call('GET', '/v1/data-quality/findings', admin())).body.findings;
  const finding = async (kind: whatif.FindingKind) => (await open()).find((f) => f.kind === kind)!;
  const resolve = (f: whatif.Finding, body: unknown) =>
    t.call('POST', `/v1/data-quality/findings/${f.findingId}/resolve`, { ...admin(), body });

  test('a scan finds the bad check character, the likely duplicate and the disagreeing card read, once', async () => {
    const first = await scan();
    assert.deepEqual(first, {
      holdersScanned: 5,
      found: { ID_CHECK_CHARACTER: 1, POSSIBLE_DUPLICATE: 1, CARD_HOLDER_MISMATCH: 1 },
      added: 3,
    });
    assert.equal((await scan()).added, 0);
    const id = await finding('ID_CHECK_CHARACTER');
    assert.deepEqual(id.personNos, [invalidHolder.personNo]);
    assert.equal(id.details.expected, invalidHolder.valid[17]);
    assert.doesNotMatch(JSON.stringify(await open()), new RegExp(invalidHolder.valid.slice(0, 17)));
    assert.deepEqual((await finding('POSSIBLE_DUPLICATE')).personNos, [...twins].sort());
    const read = await finding('CARD_HOLDER_MISMATCH');
    assert.deepEqual(read.personNos, [cardHolder]);
    assert.equal(read.details.reason, 'HOLDER_MISMATCH');
    assert.deepEqual(read.details.cardSaid, {
      cardNumber: (read.details.cardSaid as { cardNumber: string }).cardNumber,
      ssn: (read.details.cardSaid as { ssn: string }).ssn,
      name: '王**',
    });
  });

  test('corrections: the ID number (refused when taken, nothing changed), a dismissal, the holder’s name', async () => {
    const id = await finding('ID_CHECK_CHARACTER');
    const taken = await resolve(id, {
      note: 'typo at registration',
      action: { kind: 'correctIdNumber', personNo: invalidHolder.personNo, idNumber: otherId },
    });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.code, 'ID_NUMBER_TAKEN');
    assert.equal((await finding('ID_CHECK_CHARACTER')).resolvedAt, null);

    const fixed = await resolve(id, {
      note: 'checked against the household register',
      action: { kind: 'correctIdNumber', personNo: invalidHolder.personNo, idNumber: invalidHolder.valid },
    });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    assert.equal(fixed.body.resolution, 'correctIdNumber');
    const holder = await t.call('GET', `/v1/holders/${invalidHolder.personNo}`, admin());
    assert.equal(holder.body.holder.idNumber, invalidHolder.valid);
    const history = await t.call('GET', `/v1/holders/${invalidHolder.personNo}/history`, admin());
    assert.ok(history.body.history.some((h: { action: string }) => h.action === 'correctIdNumber'));

    const twinsFinding = await finding('POSSIBLE_DUPLICATE');
    const dismissed = await resolve(twinsFinding, {
      note: 'two people, seen at the desk',
      action: { kind: 'dismiss' },
    });
    assert.equal(dismissed.status, 200);
    const again = await resolve(twinsFinding, { note: 'again', action: { kind: 'dismiss' } });
    assert.equal(again.body.code, 'FINDING_RESOLVED');

    const read = await finding('CARD_HOLDER_MISMATCH');
    const wrongPerson = await resolve(read, {
      note: 'x',
      action: { kind: 'correctHolder', personNo: twins[0], changes: { name: '王秀芳' } },
    });
    assert.equal(wrongPerson.body.code, 'CORRECTION_NOT_OF_FINDING');
    const named = await resolve(read, {
      note: 'name changed by marriage registration',
      action: { kind: 'correctHolder', personNo: cardHolder, changes: { name: '王秀芳' } },
    });
    assert.equal(named.status, 200, JSON.stringify(named.body));
    assert.equal((await t.call('GET', `/v1/holders/${cardHolder}`, admin())).body.holder.name, '王秀芳');

    assert.deepEqual(await open(), []);
    // Corrected and dismissed findings are not found again.
    assert.equal((await scan()).added, 0);
    const audit = await t.call('GET', '/v1/audit?limit=1000', admin());
    const actions = audit.body.entries.map((e: { action: string }) => e.action);
    assert.equal(actions.filter((a: string) => a === 'dataQuality.resolve').length, 3);
    assert.ok(actions.includes('holder.correctIdNumber'));
  });
});
