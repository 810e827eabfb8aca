import type { whatif } from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { fenOf } from '../amounts.js';
import { call } from '../api.js';
import { DataTable, Notice, count, messageOf, yuan } from '../ui.js';
import { RunList, RunProgress, useRun } from './analysis-runs.js';
import { type PageProps, registerPage } from './registry.js';

/**
 * Later retirement: each group's pension age raised by birth month as the operator phases it in;
 * the service projects new pensioners, pensions paid and the pension fund from the holders' birth
 * dates (card-service docs/what-if.md, "Pensions").
 */
const GROUP_WORDS: Record<whatif.RetirementGroup, string> = { male: '男', female: '女' };
const age = (months: number) => `${Math.floor(months / 12)} 岁${months % 12 ? ` ${months % 12} 个月` : ''}`;

function PensionProjectionPage(_props: PageProps) {
  const [form, setForm] = useState<Record<string, string>>({
    region: '',
    firstMonth: `${new Date().getFullYear() + 1}-01`,
    years: '10',
    monthlyAmount: '',
    opening: '0',
    income: '0',
    warningMonths: '3',
    'male.base': '720',
    'male.target': '756',
    'male.first': '1965-01',
    'male.step': '4',
    'female.base': '600',
    'female.target': '660',
    'female.first': '1975-01',
    'female.step': '2',
  });
  const [jobId, setJobId] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const job = useRun('getPensionProjection', jobId);
  const set = (k: string) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [k]: e.currentTarget.value });
  const input = (name: string, label: string, size = 8) => (
    <label key={name}>
      {label}
      <input name={name} value={form[name]} onInput={set(name)} size={size} />
    </label>
  );
  const rule = (g: whatif.RetirementGroup): whatif.RetirementRule => ({
    baseAgeMonths: Number(form[`${g}.base`]),
    targetAgeMonths: Number(form[`${g}.target`]),
    firstBirthMonth: form[`${g}.first`]!,
    birthMonthsPerStep: Number(form[`${g}.step`]),
  });
  const start = async () => {
    try {
      const body: whatif.PensionProjectionRequest = {
        region: form.region!,
        firstMonth: form.firstMonth!,
        years: Number(form.years),
        rules: { male: rule('male'), female: rule('female') },
        monthlyAmount:
          form.monthlyAmount!.trim() === '' ? null : fenOf(form.monthlyAmount!, '新增人员月养老金'),
        fund: {
          openingBalance: fenOf(form.opening!, '养老基金期初余额'),
          monthlyIncome: fenOf(form.income!, '养老基金月征缴收入'),
        },
        warningMonths: Number(form.warningMonths),
      };
      setJobId((await call('startPensionProjection', { body })).jobId);
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const result =
    job?.status === 'done' ? (job.result as unknown as whatif.PensionProjectionResult) : undefined;
  return (
    <>
      <form
        class="inline-form"
        data-testid="pension-projection"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <h2>延迟退休测算</h2>
        {input('region', '区划', 7)}
        {input('firstMonth', '起始月份')}
        {input('years', '年数', 3)}
        {input('monthlyAmount', '新增人员月养老金（元，空为现有平均）')}
        {(['male', 'female'] as const).flatMap((g) => [
          input(`${g}.base`, `${GROUP_WORDS[g]}：原退休年龄（月）`, 4),
          input(`${g}.target`, `${GROUP_WORDS[g]}：目标年龄（月）`, 4),
          input(`${g}.first`, `${GROUP_WORDS[g]}：自此出生月份起延迟`),
          input(`${g}.step`, `${GROUP_WORDS[g]}：每几个出生月延迟一个月`, 3),
        ])}
        {input('opening', '养老基金期初余额（元）', 12)}
        {input('income', '养老基金月征缴收入（元）', 12)}
        {input('warningMonths', '预警月数', 3)}
        <button type="submit" class="btn primary">
          测算
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <RunProgress job={job} />
      {result && (
        <section class="panel" data-testid="projection-result">
          <p>
            测算人数 {count(result.holders)}，现有领取 {count(result.existingPensioners)} 人，每月{' '}
            {yuan(result.existingMonthlyOutflow)} 元；新增人员月养老金 {yuan(result.monthlyAmount)} 元。
          </p>
          <DataTable
            testId="projection-years"
            rows={result.years}
            rowKey={(y) => String(y.year)}
            columns={[
              { title: '年度', cell: (y) => String(y.year) },
              { title: '新增·现行', numeric: true, cell: (y) => count(y.newPensioners.before) },
              { title: '新增·延迟后', numeric: true, cell: (y) => count(y.newPensioners.after) },
              { title: '支出·现行（元）', numeric: true, cell: (y) => yuan(y.outflow.before) },
              { title: '支出·延迟后（元）', numeric: true, cell: (y) => yuan(y.outflow.after) },
            ]}
          />
          <h2>年龄变化的人群</h2>
          <DataTable
            rows={result.cohorts}
            rowKey={(c) => `${c.birthYear}:${c.group}`}
            columns={[
              { title: '出生年', cell: (c) => String(c.birthYear) },
              { title: '性别', cell: (c) => GROUP_WORDS[c.group] },
              { title: '人数', numeric: true, cell: (c) => count(c.holders) },
              { title: '现行', cell: (c) => age(c.ageBefore) },
              {
                title: '延迟后',
                cell: (c) =>
                  c.ageAfterFrom === c.ageAfterTo
                    ? age(c.ageAfterFrom)
                    : `${age(c.ageAfterFrom)}–${age(c.ageAfterTo)}`,
              },
            ]}
          />
          {(['before', 'after'] as const).map((side) => {
            const w = result.fund[side].warning;
            const words = side === 'before' ? '现行' : '延迟后';
            return w ? (
              <Notice key={side} kind="error">
                {words}：养老基金 {w.month} 余额 {yuan(w.balance)} 元，低于 {w.warningMonths} 个月支出（
                {yuan(w.threshold)} 元）
              </Notice>
            ) : (
              <Notice key={side} kind="ok">
                {words}：测算期内养老基金余额不低于预警线
              </Notice>
            );
          })}
        </section>
      )}
      <RunList
        list="listPensionProjections"
        compare="comparePensionProjections"
        refresh={`${jobId}:${job?.status}`}
        describe={(p) => `${String(p.region)} 自 ${String(p.firstMonth)} 起 ${String(p.years)} 年`}
        onOpen={setJobId}
      />
    </>
  );
}

registerPage({
  id: 'pension-projection',
  title: '延迟退休测算',
  group: 'analysis',
  order: 30,
  needs: 'startPensionProjection',
  component: PensionProjectionPage,
});
