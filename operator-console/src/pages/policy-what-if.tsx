import type { whatif } from '@sscard/registry-protocol';
import {
  HOSPITAL_LEVELS,
  PERSON_GROUPS,
  type PolicyParameters,
  type PublishedPolicy,
  SCHEME_CODES,
  type SchemeCode,
  VISIT_TYPES,
} from '@sscard/registry-protocol/settlement';
import { useState } from 'preact/hooks';
import { basisPointsOf, fenOf, percentText, yuanText } from '../amounts.js';
import { call } from '../api.js';
import { DataTable, Notice, count, messageOf, yuan } from '../ui.js';
import { RunList, RunProgress, useRun } from './analysis-runs.js';
import { type PageProps, registerPage } from './registry.js';

/**
 * The policy what-if: the year's published policy loaded into a form, changed, and replayed by
 * the service over every settlement of the year; the result and the kept runs beside it.
 */
const SCHEME_WORDS: Record<SchemeCode, string> = { '310': '职工医保', '390': '居民医保' };
const GROUP_WORDS = { in_service: '在职', retired: '退休' } as const;
const VISIT_WORDS = { outpatient: '门诊', inpatient: '住院' } as const;

/** The form's fields, by the parameter's path: money in yuan, ratios in percent, as typed. */
type Fields = Record<string, string>;

function fieldsOf(p: PolicyParameters): Fields {
  const f: Fields = {};
  for (const l of HOSPITAL_LEVELS) {
    f[`outpatientDeductible.${l}`] = yuanText(p.outpatientDeductible[l]);
    f[`inpatientDeductible.${l}`] = yuanText(p.inpatientDeductible[l]);
    for (const v of VISIT_TYPES)
      for (const g of PERSON_GROUPS) f[`ratios.${v}.${l}.${g}`] = percentText(p.ratios[v][l][g]);
  }
  f.pooledFundCeiling = yuanText(p.pooledFundCeiling);
  const lf = p.largeExpenseFund;
  f['largeExpenseFund.deductible'] = lf ? yuanText(lf.deductible) : '';
  f['largeExpenseFund.ratio'] = lf ? percentText(lf.ratio) : '';
  f['largeExpenseFund.ceiling'] = lf?.ceiling != null ? yuanText(lf.ceiling) : '';
  return f;
}

function parametersOf(f: Fields): PolicyParameters {
  const byLevel = (key: string, what: string) =>
    Object.fromEntries(
      HOSPITAL_LEVELS.map((l) => [l, fenOf(f[`${key}.${l}`]!, `${what}（${l}级）`)]),
    ) as Record<'1' | '2' | '3', number>;
  const ratios = Object.fromEntries(
    VISIT_TYPES.map((v) => [
      v,
      Object.fromEntries(
        HOSPITAL_LEVELS.map((l) => [
          l,
          Object.fromEntries(
            PERSON_GROUPS.map((g) => [
              g,
              basisPointsOf(f[`ratios.${v}.${l}.${g}`]!, `${VISIT_WORDS[v]}${l}级${GROUP_WORDS[g]}比例`),
            ]),
          ),
        ]),
      ),
    ]),
  ) as PolicyParameters['ratios'];
  const large = f['largeExpenseFund.deductible'] ?? '';
  return {
    outpatientDeductible: byLevel('outpatientDeductible', '门诊起付线'),
    inpatientDeductible: byLevel('inpatientDeductible', '住院起付线'),
    ratios,
    pooledFundCeiling: fenOf(f.pooledFundCeiling!, '统筹基金最高支付限额'),
    largeExpenseFund:
      large.trim() === ''
        ? null
        : {
            deductible: fenOf(large, '大额医疗起付线'),
            ratio: basisPointsOf(f['largeExpenseFund.ratio']!, '大额医疗支付比例'),
            ceiling:
              (f['largeExpenseFund.ceiling'] ?? '').trim() === ''
                ? null
                : fenOf(f['largeExpenseFund.ceiling']!, '大额医疗最高限额'),
          },
  };
}

/** Only what the operator changed: each parameter that differs from the loaded version replaces it. */
function changesOf(loaded: PolicyParameters, edited: PolicyParameters): whatif.PolicyChanges {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(edited) as (keyof PolicyParameters)[])
    if (JSON.stringify(edited[k]) !== JSON.stringify(loaded[k])) out[k] = edited[k];
  return out as whatif.PolicyChanges;
}

function Field(props: { name: string; fields: Fields; set(f: Fields): void; label?: string }) {
  const id = `field-${props.name}`;
  return (
    <>
      {props.label && <label for={id}>{props.label}</label>}
      <input
        id={id}
        name={props.name}
        class="amount"
        value={props.fields[props.name] ?? ''}
        onInput={(e) => props.set({ ...props.fields, [props.name]: e.currentTarget.value })}
        aria-label={props.label ?? props.name}
        size={9}
      />
    </>
  );
}

function PolicyWhatIfPage(_props: PageProps) {
  const [region, setRegion] = useState('');
  const [scheme, setScheme] = useState<SchemeCode>('310');
  const [year, setYear] = useState(String(new Date().getFullYear()));
  const [loaded, setLoaded] = useState<PublishedPolicy | undefined>();
  const [fields, setFields] = useState<Fields>({});
  const [forecast, setForecast] = useState<Fields>({
    firstMonth: `${Number(year) + 1}-01`,
    method: 'seasonal',
    growth: '0',
    warningMonths: '3',
    pooledOpening: '0',
    pooledIncome: '0',
    largeOpening: '0',
    largeIncome: '0',
  });
  const [error, setError] = useState<string | undefined>();
  const [jobId, setJobId] = useState<string | undefined>();
  const [refresh, setRefresh] = useState(0);
  const job = useRun('getPolicyWhatIf', jobId);

  const load = async () => {
    try {
      const { policies } = await call('listPolicies', { query: { region } });
      const versions = policies.filter((p) => p.scheme === scheme && p.year === Number(year));
      const latest = versions[versions.length - 1];
      if (!latest) throw new Error(`${region} ${year} 年没有发布的${SCHEME_WORDS[scheme]}政策`);
      setLoaded(latest);
      setFields(fieldsOf(latest.parameters));
      setForecast((f) => ({ ...f, firstMonth: `${Number(year) + 1}-01` }));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const run = async () => {
    if (!loaded) return;
    try {
      const signedBp = (t: string) => {
        const neg = t.trim().startsWith('-');
        const bp = basisPointsOf(neg ? t.trim().slice(1) : t, '支出增长');
        return neg ? -bp : bp;
      };
      const body: whatif.PolicyWhatIfRequest = {
        region: loaded.region,
        scheme: loaded.scheme,
        year: loaded.year,
        changes: changesOf(loaded.parameters, parametersOf(fields)),
        forecast: {
          firstMonth: forecast.firstMonth!,
          months: 24,
          method: forecast.method as whatif.ForecastMethod,
          growthBp: signedBp(forecast.growth!),
          warningMonths: Number(forecast.warningMonths),
          pooled: {
            openingBalance: fenOf(forecast.pooledOpening!, '统筹基金期初余额'),
            monthlyIncome: fenOf(forecast.pooledIncome!, '统筹基金月征缴收入'),
          },
          largeExpense: {
            openingBalance: fenOf(forecast.largeOpening!, '大额基金期初余额'),
            monthlyIncome: fenOf(forecast.largeIncome!, '大额基金月征缴收入'),
          },
        },
      };
      const started = await call('startPolicyWhatIf', { body });
      setJobId(started.jobId);
      setRefresh((r) => r + 1);
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const result = job?.status === 'done' ? (job.result as unknown as whatif.PolicyWhatIfResult) : undefined;
  const f = forecast;
  const setF = (k: string) => (e: { currentTarget: { value: string } }) =>
    setForecast({ ...f, [k]: e.currentTarget.value });

  return (
    <>
      <form
        class="inline-form"
        data-testid="what-if-scope"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <h2>选择政策</h2>
        <label>
          参保地区划
          <input
            name="region"
            value={region}
            pattern="[1-9][0-9]{5}"
            required
            onInput={(e) => setRegion(e.currentTarget.value)}
          />
        </label>
        <label>
          险种
          <select
            name="scheme"
            value={scheme}
            onChange={(e) => setScheme(e.currentTarget.value as SchemeCode)}
          >
            {SCHEME_CODES.map((s) => (
              <option key={s} value={s}>
                {SCHEME_WORDS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          年度
          <input
            name="year"
            value={year}
            pattern="[0-9]{4}"
            onInput={(e) => setYear(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="btn">
          载入政策
        </button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {loaded && (
        <form
          class="panel"
          data-testid="what-if-parameters"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <h2>
            {loaded.region} {SCHEME_WORDS[loaded.scheme]} {loaded.year} 年政策（第 {loaded.version} 版为底）
          </h2>
          <table class="data">
            <thead>
              <tr>
                <th>项目</th>
                {HOSPITAL_LEVELS.map((l) => (
                  <th key={l}>{l} 级医院</th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <td>门诊年度起付线（元）</td>
                {HOSPITAL_LEVELS.map((l) => (
                  <td key={l}>
                    <Field name={`outpatientDeductible.${l}`} fields={fields} set={setFields} />
                  </td>
                ))}
              </tr>
              <tr>
                <td>住院每次起付线（元）</td>
                {HOSPITAL_LEVELS.map((l) => (
                  <td key={l}>
                    <Field name={`inpatientDeductible.${l}`} fields={fields} set={setFields} />
                  </td>
                ))}
              </tr>
              {VISIT_TYPES.flatMap((v) =>
                PERSON_GROUPS.map((g) => (
                  <tr key={`${v}.${g}`}>
                    <td>
                      {VISIT_WORDS[v]}统筹支付比例，{GROUP_WORDS[g]}（%）
                    </td>
                    {HOSPITAL_LEVELS.map((l) => (
                      <td key={l}>
                        <Field name={`ratios.${v}.${l}.${g}`} fields={fields} set={setFields} />
                      </td>
                    ))}
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <div class="toolbar">
            <Field
              name="pooledFundCeiling"
              fields={fields}
              set={setFields}
              label="统筹基金年度最高支付限额（元）"
            />
            <Field
              name="largeExpenseFund.deductible"
              fields={fields}
              set={setFields}
              label="大额医疗起付线（元，空为无大额基金）"
            />
            <Field
              name="largeExpenseFund.ratio"
              fields={fields}
              set={setFields}
              label="大额医疗支付比例（%）"
            />
            <Field
              name="largeExpenseFund.ceiling"
              fields={fields}
              set={setFields}
              label="大额医疗最高限额（元，空为不设）"
            />
          </div>
          <h2>基金预测（未来 24 个月）</h2>
          <div class="toolbar">
            <label>
              起始月份
              <input name="firstMonth" value={f.firstMonth} onInput={setF('firstMonth')} size={8} />
            </label>
            <label>
              支出预测方法
              <select name="method" value={f.method} onChange={setF('method')}>
                <option value="seasonal">按去年季节</option>
                <option value="linear">线性趋势</option>
              </select>
            </label>
            <label>
              支出增长（%）
              <input name="growth" value={f.growth} onInput={setF('growth')} size={6} />
            </label>
            <label>
              预警月数
              <input name="warningMonths" value={f.warningMonths} onInput={setF('warningMonths')} size={3} />
            </label>
            <label>
              统筹基金期初余额（元）
              <input name="pooledOpening" value={f.pooledOpening} onInput={setF('pooledOpening')} size={12} />
            </label>
            <label>
              统筹基金月征缴收入（元）
              <input name="pooledIncome" value={f.pooledIncome} onInput={setF('pooledIncome')} size={12} />
            </label>
            <label>
              大额基金期初余额（元）
              <input name="largeOpening" value={f.largeOpening} onInput={setF('largeOpening')} size={12} />
            </label>
            <label>
              大额基金月征缴收入（元）
              <input name="largeIncome" value={f.largeIncome} onInput={setF('largeIncome')} size={12} />
            </label>
          </div>
          <button type="submit" class="btn primary" data-action="run">
            按此政策重算全年结算
          </button>
        </form>
      )}
      <RunProgress job={job} />
      {result && <WhatIfResult result={result} />}
      <RunList
        list="listPolicyWhatIfs"
        compare="comparePolicyWhatIfs"
        refresh={`${refresh}:${job?.jobId}:${job?.status}`}
        describe={(p) => {
          const changed = Object.keys((p.changes as object | undefined) ?? {});
          return `${String(p.region)} ${String(p.scheme)} ${String(p.year)}：${changed.length === 0 ? '政策不变' : `改 ${changed.join('、')}`}`;
        }}
        onOpen={setJobId}
      />
    </>
  );
}

function WhatIfResult(props: { result: whatif.PolicyWhatIfResult }) {
  const r = props.result;
  const diff = (before: number, after: number) => `${after - before >= 0 ? '+' : ''}${yuan(after - before)}`;
  const fundRows = [
    { name: '统筹基金支出', before: r.funds.before.pooled, after: r.funds.after.pooled },
    { name: '大额医疗基金支出', before: r.funds.before.largeExpense, after: r.funds.after.largeExpense },
  ];
  return (
    <section class="panel" data-testid="what-if-result">
      <h2>结果</h2>
      <p>
        重算结算 {count(r.settlements)} 笔（另有已撤销 {count(r.ended)} 笔只计入累计），其中金额变化{' '}
        <strong data-testid="changed-settlements">{count(r.changedSettlements)}</strong> 笔。
      </p>
      <DataTable
        testId="fund-spending"
        rows={fundRows}
        rowKey={(x) => x.name}
        columns={[
          { title: '基金', cell: (x) => x.name },
          { title: '调整前（元）', numeric: true, cell: (x) => yuan(x.before) },
          { title: '调整后（元）', numeric: true, cell: (x) => yuan(x.after) },
          { title: '变化（元）', numeric: true, cell: (x) => diff(x.before, x.after) },
        ]}
      />
      <h2>个人负担，按人员类别与医院等级</h2>
      <DataTable
        testId="personal-change"
        rows={r.personal}
        rowKey={(p) => `${p.personGroup}:${p.hospitalLevel}`}
        columns={[
          { title: '人员类别', cell: (p) => GROUP_WORDS[p.personGroup] },
          { title: '医院等级', cell: (p) => `${p.hospitalLevel} 级` },
          { title: '结算笔数', numeric: true, cell: (p) => count(p.settlements) },
          { title: '调整前（元）', numeric: true, cell: (p) => yuan(p.before) },
          { title: '调整后（元）', numeric: true, cell: (p) => yuan(p.after) },
          { title: '变化（元）', numeric: true, cell: (p) => diff(p.before, p.after) },
        ]}
      />
      <h2>患者</h2>
      <p data-testid="patients">
        共 {count(r.patients.total)} 人：多付 {count(r.patients.payMore)} 人，少付 {count(r.patients.payLess)}{' '}
        人，不变 {count(r.patients.same)} 人。
      </p>
      <DataTable
        testId="distribution"
        rows={r.patients.distribution.filter((d) => d.patients > 0)}
        rowKey={(d) => `${d.from}:${d.to}`}
        columns={[
          {
            title: '全年个人负担变化（元）',
            cell: (d) =>
              d.from === 0 && d.to === 1
                ? '不变'
                : `${d.from === null ? '…' : yuan(d.from)} 至 ${d.to === null ? '…' : yuan(d.to)}`,
          },
          { title: '人数', numeric: true, cell: (d) => count(d.patients) },
        ]}
      />
      <h2>基金余额预测</h2>
      {(['pooled', 'largeExpense'] as const).map((fund) => {
        const fc = r.forecast[fund];
        const warn = fc.after.warning;
        return (
          <div key={fund} data-testid={`forecast-${fund}`}>
            <h3>{fund === 'pooled' ? '统筹基金' : '大额医疗基金'}</h3>
            {warn ? (
              <Notice kind="error">
                调整后 {warn.month} 余额 {yuan(warn.balance)} 元，低于 {warn.warningMonths} 个月支出（
                {yuan(warn.threshold)} 元）
              </Notice>
            ) : (
              <Notice kind="ok">调整后 24 个月内余额不低于预警线</Notice>
            )}
            <DataTable
              rows={fc.before.months.map((m, i) => ({ before: m, after: fc.after.months[i]! }))}
              rowKey={(x) => x.before.month}
              columns={[
                { title: '月份', cell: (x) => x.before.month },
                { title: '收入（元）', numeric: true, cell: (x) => yuan(x.before.income) },
                { title: '支出·调整前', numeric: true, cell: (x) => yuan(x.before.spending) },
                { title: '支出·调整后', numeric: true, cell: (x) => yuan(x.after.spending) },
                { title: '余额·调整前', numeric: true, cell: (x) => yuan(x.before.balance) },
                { title: '余额·调整后', numeric: true, cell: (x) => yuan(x.after.balance) },
              ]}
            />
          </div>
        );
      })}
    </section>
  );
}

registerPage({
  id: 'policy-what-if',
  title: '政策调整测算',
  group: 'analysis',
  order: 10,
  needs: 'startPolicyWhatIf',
  component: PolicyWhatIfPage,
});
