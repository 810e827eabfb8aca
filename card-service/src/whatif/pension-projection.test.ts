import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeCitizenId } from '@sscard/card-core';
import type { whatif } from '@sscard/registry-protocol';
import { forEachEngine } from '../testing/engines-fixture.js';
import { firstPensionMonth, raisedAge, runPensionProjection } from './pension-projection.js';

const male: whatif.RetirementRule = {
  baseAgeMonths: 720,
  targetAgeMonths: 756,
  firstBirthMonth: '1965-01',
  birthMonthsPerStep: 4,
};
const female: whatif.RetirementRule = {
  baseAgeMonths: 660,
  targetAgeMonths: 696,
  firstBirthMonth: '1970-01',
  birthMonthsPerStep: 4,
};

test('the raised age: a month more for each step of birth months from the first cohort, up to the target', () => {
  assert.equal(raisedAge(male, '1964-12'), 720);
  assert.equal(raisedAge(male, '1965-01'), 721);
  assert.equal(raisedAge(male, '1965-04'), 721);
  assert.equal(raisedAge(male, '1965-05'), 722);
  assert.equal(raisedAge(male, '1970-03'), 736);
  assert.equal(raisedAge(male, '1977-01'), 756);
  assert.equal(firstPensionMonth('1970-03', 720), '2030-04');
  assert.equal(firstPensionMonth('1970-03', 736), '2031-08');
});

forEachEngine('retirement-age projection', ({ open }) => {
  test('new pensioners and outflow by year, the cohorts whose age moves, the fund under both', async () => {
    const store = await open();
    const at = '2029-06-01T00:00:00.000Z';
    let seq = 1;
    const holder = async (gender: '1' | '2', birthDate: string, region = '330300') => {
      const personNo = `P${seq}`;
      await store.run(
        `INSERT INTO holders (person_no, id_number, name, gender, ethnicity, birth_date, birthplace, region, created_at, updated_at)
         VALUES (?, ?, '测试', ?, '01', ?, '330302', ?, ?, ?)`,
        [
          personNo,
          makeCitizenId('330302', birthDate.replaceAll('-', ''), seq++),
          gender,
          birthDate,
          region,
          at,
          at,
        ],
      );
      return personNo;
    };
    await holder('1', '1970-03-15');
    await holder('2', '1976-06-02');
    await holder('1', '1990-01-20');
    await holder('1', '1971-01-01', '330100'); // another region
    const dead = await holder('2', '1972-02-02');
    await store.run(
      `INSERT INTO life_event_registrations (person_no, kind, event_date, source, registered_at, registered_by)
       VALUES (?, 'death', '2029-01-01', 'operator', ?, 'operator:t')`,
      [dead, at],
    );
    const pensioner = await holder('1', '1955-05-05');
    await store.run(
      `INSERT INTO pension_entitlements (person_no, monthly_amount, first_month, paying_region, status, created_at, updated_at)
       VALUES (?, 300000, '2015-06', '330300', 'active', ?, ?)`,
      [pensioner, at, at],
    );
    const seen: number[] = [];
    const r = await runPensionProjection(
      store,
      {
        region: '330300',
        firstMonth: '2030-01',
        years: 10,
        rules: { male, female },
        monthlyAmount: null,
        fund: { openingBalance: 10_000_000, monthlyIncome: 400_000 },
        warningMonths: 3,
      },
      async (done) => {
        seen.push(done);
      },
    );
    assert.deepEqual(seen, [3]);
    assert.equal(r.holders, 3);
    assert.deepEqual([r.existingPensioners, r.existingMonthlyOutflow, r.monthlyAmount], [1, 300000, 300000]);
    assert.equal(r.years.length, 10);
    const year = (y: number) => r.years.find((x) => x.year === y)!;
    assert.deepEqual(year(2030), {
      year: 2030,
      newPensioners: { before: 1, after: 0 },
      // Before: the existing pension all year and the new one from April.
      outflow: { before: 12 * 300000 + 9 * 300000, after: 12 * 300000 },
    });
    // The woman born in June 1976 reaches 55 in June 2031, 56 and 8 months in February 2033.
    assert.deepEqual(year(2031).newPensioners, { before: 1, after: 1 });
    assert.deepEqual(year(2033).newPensioners, { before: 0, after: 1 });
    assert.deepEqual(
      r.cohorts.map((c) => [c.birthYear, c.group, c.holders, c.ageBefore, c.ageAfterFrom]),
      [
        [1970, 'male', 1, 720, 736],
        [1976, 'female', 1, 660, 680],
        [1990, 'male', 1, 720, 756],
      ],
    );
    assert.deepEqual(r.fund.before.months[0], {
      month: '2030-01',
      income: 400000,
      spending: 300000,
      balance: 10_100_000,
    });
    // Later retirement pays out less, so the fund stands higher under it at the end.
    assert.ok(r.fund.after.months.at(-1)!.balance > r.fund.before.months.at(-1)!.balance);
    assert.equal(r.fund.before.method, 'entitlements');
  });
});
