import type { settlement } from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { call, mayCall } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, when, yuan } from '../ui.js';
import { POLICY_SAMPLES } from './policy-samples.js';
import { type PageProps, registerPage } from './registry.js';

type Quotes = Awaited<ReturnType<typeof call<'quotePolicyDraft'>>>;
type Breakdown = settlement.Breakdown;

/** The figures of a breakdown the operator compares, old and new. */
const FIGURES: [keyof Breakdown, string][] = [
  ['medfee_sumamt', '医疗费总额'],
  ['act_pay_dedc', '起付线'],
  ['hifp_pay', '统筹基金'],
  ['hifmi_pay', '大额医疗'],
  ['acct_pay', '个人账户'],
  ['psn_cash_pay', '现金'],
];

function draftOf(p: settlement.PublishedPolicy): string {
  const { region, scheme, year, effectiveFrom, parameters } = p;
  return JSON.stringify({ region, scheme, year, effectiveFrom, parameters }, null, 2);
}

function QuoteTable(props: { quotes: Quotes }) {
  const rows = props.quotes.quotes.flatMap((q) =>
    FIGURES.map(([key, title]) => ({
      key: `${q.name}:${key}`,
      sample: q.name,
      title,
      inForce: q.inForce ? Number(q.inForce[key]) : null,
      draft: Number(q.draft[key]),
    })),
  );
  return (
    <DataTable
      testId="policy-quotes"
      rows={rows}
      rowKey={(r) => r.key}
      columns={[
        { title: '样例', cell: (r) => r.sample },
        { title: '项目', cell: (r) => r.title },
        {
          title: props.quotes.inForceVersion ? `现行（第 ${props.quotes.inForceVersion} 版）` : '现行',
          numeric: true,
          cell: (r) => (r.inForce === null ? '—' : yuan(r.inForce)),
        },
        { title: '草稿', numeric: true, cell: (r) => <span data-draft={r.draft}>{yuan(r.draft)}</span> },
        {
          title: '差额',
          numeric: true,
          cell: (r) => (r.inForce === null || r.draft === r.inForce ? '' : yuan(r.draft - r.inForce)),
        },
      ]}
    />
  );
}

function PolicyPage(props: PageProps) {
  const [region, setRegion] = useState('330300');
  const list = useLoad(() => call('listPolicies', { query: { region } }), [region]);
  const [draft, setDraft] = useState('');
  const [quoted, setQuoted] = useState<{ text: string; quotes: Quotes } | undefined>();
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const mayPublish = mayCall(props.operator.scopes, 'publishPolicy');

  const parsed = (): settlement.PolicyDraft => JSON.parse(draft) as settlement.PolicyDraft;
  const quote = async () => {
    try {
      const quotes = await call('quotePolicyDraft', { body: { policy: parsed(), samples: POLICY_SAMPLES } });
      setQuoted({ text: draft, quotes });
      setNotice(undefined);
    } catch (e) {
      setQuoted(undefined);
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };
  const publish = async () => {
    try {
      const p = parsed();
      if (!confirm(`发布 ${p.region} ${p.scheme} ${p.year} 年的新版本，自 ${p.effectiveFrom} 起生效？`))
        return;
      const published = await call('publishPolicy', { body: p });
      setNotice({
        kind: 'ok',
        text: `已发布第 ${published.version} 版，自 ${published.effectiveFrom} 起生效`,
      });
      setQuoted(undefined);
      list.reload();
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
    }
  };

  return (
    <>
      <div class="toolbar">
        <label>
          统筹区
          <input
            name="region"
            value={region}
            pattern="[1-9][0-9]{5}"
            onChange={(e) => setRegion(e.currentTarget.value)}
          />
        </label>
      </div>
      <Loading what={list} />
      {list.data && (
        <DataTable<settlement.PublishedPolicy>
          testId="policies"
          rows={list.data.policies}
          rowKey={(p) => `${p.scheme}-${p.year}-${p.version}`}
          empty="该统筹区尚无已发布的政策"
          columns={[
            { title: '险种', cell: (p) => p.scheme },
            { title: '年度', cell: (p) => p.year },
            { title: '版本', numeric: true, cell: (p) => p.version },
            { title: '生效日期', cell: (p) => p.effectiveFrom },
            { title: '发布', cell: (p) => `${when(p.publishedAt)} ${p.publishedBy}` },
            {
              title: '',
              cell: (p) => (
                <button
                  type="button"
                  class="btn"
                  data-action="edit"
                  onClick={() => {
                    setDraft(draftOf(p));
                    setQuoted(undefined);
                  }}
                >
                  以此为底稿
                </button>
              ),
            },
          ]}
        />
      )}
      <section class="panel">
        <h2>新版本草稿</h2>
        <textarea
          name="draft"
          rows={18}
          cols={100}
          spellcheck={false}
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          placeholder="从上表选一个版本为底稿，修改参数和生效日期"
        />
        <div class="toolbar">
          <button
            type="button"
            class="btn"
            data-action="quote"
            disabled={!draft}
            onClick={() => void quote()}
          >
            样例试算
          </button>
          {mayPublish && (
            <button
              type="button"
              class="btn primary"
              data-action="publish"
              // Published only as it was last quoted: an edit after the quote needs a new one.
              disabled={!quoted || quoted.text !== draft}
              onClick={() => void publish()}
            >
              发布
            </button>
          )}
        </div>
        {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
        {quoted && <QuoteTable quotes={quoted.quotes} />}
      </section>
    </>
  );
}

registerPage({
  id: 'policy',
  title: '结算政策',
  group: 'work',
  order: 50,
  needs: 'listPolicies',
  component: PolicyPage,
});
