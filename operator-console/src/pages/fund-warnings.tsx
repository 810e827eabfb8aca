import type { whatif } from '@sscard/registry-protocol';
import { SCHEME_CODES, type SchemeCode } from '@sscard/registry-protocol/settlement';
import { useState } from 'preact/hooks';
import { basisPointsOf, fenOf } from '../amounts.js';
import { call, mayCall } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, yuan } from '../ui.js';
import { type PageProps, registerPage } from './registry.js';

/**
 * Fund early warning: a region's three funds forecast from their recorded spending; the warnings
 * the service raised (and put in the risk alert list) with the figures behind them.
 */
const FUND_WORDS: Record<whatif.Fund, string> = {
  pooled: '统筹基金',
  largeExpense: '大额医疗基金',
  pension: '养老金',
};
const RULE_WORDS: Record<whatif.FundWarningRule, string> = {
  FUND_BALANCE_LOW: '预测余额低于预警月数的支出',
  FUND_SPENDING_ABOVE_SEASON: '月支出超出去年同月',
};

function figuresOf(w: whatif.FundWarning): string {
  const f = w.figures;
  return w.rule === 'FUND_BALANCE_LOW'
    ? `余额 ${yuan(f.balance!)} 元，预警线 ${yuan(f.threshold!)} 元（${f.warningMonths} 个月 × 月支出 ${yuan(f.spending!)} 元）`
    : `支出 ${yuan(f.spending!)} 元，去年同月 ${yuan(f.lastYear!)} 元，允许超出 ${f.shareBp! / 100}%`;
}

function FundWarningsPage(props: PageProps) {
  const now = new Date();
  const [form, setForm] = useState<Record<string, string>>({
    region: '',
    scheme: '310',
    asOf: `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`,
    method: 'seasonal',
    warningMonths: '3',
    share: '20',
    pooledOpening: '0',
    pooledIncome: '0',
    largeExpenseOpening: '0',
    largeExpenseIncome: '0',
    pensionOpening: '0',
    pensionIncome: '0',
  });
  const [result, setResult] = useState<whatif.FundCheck | undefined>();
  const [error, setError] = useState<string | undefined>();
  const set = (k: string) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [k]: e.currentTarget.value });
  const fund = (name: whatif.Fund) => ({
    openingBalance: fenOf(form[`${name}Opening`]!, `${FUND_WORDS[name]}期初余额`),
    monthlyIncome: fenOf(form[`${name}Income`]!, `${FUND_WORDS[name]}月收入`),
  });
  const settings = (): whatif.FundWatchRequest => ({
    region: form.region!,
    scheme: form.scheme as SchemeCode,
    method: form.method as whatif.ForecastMethod,
    growthBp: 0,
    months: 24,
    warningMonths: Number(form.warningMonths),
    seasonalShareBp: basisPointsOf(form.share!, '超出比例'),
    funds: { pooled: fund('pooled'), largeExpense: fund('largeExpense'), pension: fund('pension') },
  });
  const check = async () => {
    try {
      setResult(await call('checkFunds', { body: { ...settings(), asOf: form.asOf! } }));
      setError(undefined);
    } catch (e) {
      setError(messageOf(e));
    }
  };
  // The standing checks the service's daily job makes, as of the last complete month.
  const watches = useLoad(() => call('listFundWatches'), []);
  const mayWatch = mayCall(props.operator.scopes, 'setFundWatch');
  const watch = async () => {
    try {
      await call('setFundWatch', { body: settings() });
      setError(undefined);
      watches.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const unwatch = async (w: { region: string; scheme: SchemeCode }) => {
    try {
      await call('removeFundWatch', { body: { region: w.region, scheme: w.scheme } });
      watches.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const input = (name: string, label: string, size = 10) => (
    <label key={name}>
      {label}
      <input name={name} value={form[name]} onInput={set(name)} size={size} />
    </label>
  );
  return (
    <>
      <form
        class="inline-form"
        data-testid="fund-check"
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <h2>基金预警</h2>
        {input('region', '区划', 7)}
        <label>
          医保险种
          <select name="scheme" value={form.scheme} onChange={set('scheme')}>
            {SCHEME_CODES.map((s) => (
              <option key={s} value={s}>
                {s === '310' ? '职工医保' : '居民医保'}
              </option>
            ))}
          </select>
        </label>
        {input('asOf', '数据截至月份', 8)}
        <label>
          支出预测方法
          <select name="method" value={form.method} onChange={set('method')}>
            <option value="seasonal">按去年季节</option>
            <option value="linear">线性趋势</option>
          </select>
        </label>
        {input('warningMonths', '预警月数', 3)}
        {input('share', '超出去年同月（%）', 4)}
        {(['pooled', 'largeExpense', 'pension'] as const).flatMap((f) => [
          input(`${f}Opening`, `${FUND_WORDS[f]}余额（元）`),
          input(`${f}Income`, `${FUND_WORDS[f]}月收入（元）`),
        ])}
        <button type="submit" class="btn primary">
          预测并预警
        </button>
        {mayWatch && (
          <button type="button" class="btn" data-testid="fund-watch" onClick={() => void watch()}>
            设为每日检查
          </button>
        )}
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <section class="panel" data-testid="fund-watches">
        <h2>每日检查（截至上一个完整月份，预警列入风险提醒）</h2>
        <Loading what={watches} />
        {watches.data && (
          <DataTable
            rows={watches.data.watches}
            rowKey={(w) => `${w.region}/${w.scheme}`}
            empty="没有每日检查"
            columns={[
              { title: '区划', cell: (w) => w.region },
              { title: '险种', cell: (w) => w.scheme },
              { title: '预警月数', numeric: true, cell: (w) => w.warningMonths },
              { title: '超出去年同月', numeric: true, cell: (w) => `${w.seasonalShareBp! / 100}%` },
              {
                title: '上次检查',
                cell: (w) =>
                  w.lastCheckedDay ? `${w.lastCheckedDay}（截至 ${w.lastCheckedAsOf}）` : '尚未检查',
              },
              {
                title: '',
                cell: (w) =>
                  mayWatch && (
                    <button type="button" class="btn" onClick={() => void unwatch(w)}>
                      停止
                    </button>
                  ),
              },
            ]}
          />
        )}
      </section>
      {result && (
        <section class="panel" data-testid="fund-warnings">
          <h2>预警（已列入风险提醒）</h2>
          <DataTable
            rows={result.warnings}
            rowKey={(w) => `${w.fund}:${w.rule}:${w.month}`}
            empty="没有预警"
            columns={[
              { title: '基金', cell: (w) => FUND_WORDS[w.fund] },
              { title: '预警', cell: (w) => RULE_WORDS[w.rule] },
              { title: '月份', cell: (w) => w.month },
              { title: '数据', cell: figuresOf },
              { title: '提醒', cell: (w) => (w.alertId ? '新提醒' : '已提醒过') },
            ]}
          />
          <h2>24 个月后的余额</h2>
          <DataTable
            rows={(['pooled', 'largeExpense', 'pension'] as const).map((f) => ({
              f,
              fc: result.funds[f].forecast,
            }))}
            rowKey={(x) => x.f}
            columns={[
              { title: '基金', cell: (x) => FUND_WORDS[x.f] },
              { title: '首月支出（元）', numeric: true, cell: (x) => yuan(x.fc.months[0]?.spending ?? 0) },
              { title: '期末余额（元）', numeric: true, cell: (x) => yuan(x.fc.months.at(-1)?.balance ?? 0) },
            ]}
          />
        </section>
      )}
    </>
  );
}

registerPage({
  id: 'fund-warnings',
  title: '基金预警',
  group: 'analysis',
  order: 20,
  needs: 'checkFunds',
  component: FundWarningsPage,
});
