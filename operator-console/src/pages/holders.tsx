import {
  type Card,
  type HolderFound,
  type HolderRecord,
  REQUESTABLE_CARD_EVENTS,
  type RequestableCardEvent,
} from '@sscard/registry-protocol';
import { useState } from 'preact/hooks';
import { call, mayCall } from '../api.js';
import { DataTable, Loading, Notice, messageOf, useLoad, when } from '../ui.js';
import { type PageProps, registerPage } from './registry.js';

const STATUS_WORDS: Record<Card['status'], string> = {
  issued: '已制卡',
  active: '正常',
  temporarily_lost: '临时挂失',
  lost: '正式挂失',
  replaced: '已补换',
  cancelled: '已注销',
};

const EVENT_WORDS: Record<RequestableCardEvent, string> = {
  activateSocialSecurity: '启用社保功能',
  activateFinancial: '启用金融功能',
  reportTemporaryLoss: '临时挂失',
  unblock: '解除挂失',
  reportFormalLoss: '正式挂失',
  replace: '补换卡',
  cancel: '注销',
  resetPin: '重置密码',
};

/** Without the right to change the registry, the service masks names, ID numbers and birth dates. */
const MASKED_NOTE = '姓名、身份证号和出生日期已部分隐藏：查看完整信息需要修改登记的权限。';

function Search() {
  const [text, setText] = useState('');
  const [asked, setAsked] = useState('');
  const found = useLoad(
    () =>
      asked
        ? call('searchHolders', { query: { q: asked } })
        : Promise.resolve({ holders: [] as HolderFound[] }),
    [asked],
  );
  return (
    <>
      <form
        class="toolbar"
        data-testid="holder-search"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(text.trim());
        }}
      >
        <label>
          身份证号、个人编号、卡号或姓名
          <input name="q" size={30} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn primary">
          查找
        </button>
      </form>
      <Loading what={found} />
      {asked && found.data?.holders.some((h) => h.masked) && <p class="muted">{MASKED_NOTE}</p>}
      {asked && found.data && (
        <DataTable<HolderFound>
          testId="holders"
          rows={found.data.holders}
          rowKey={(h) => h.personNo}
          empty="没有找到"
          columns={[
            {
              title: '个人编号',
              cell: (h) => (
                <a href={`#/holders/${encodeURIComponent(h.personNo)}`} data-person={h.personNo}>
                  {h.personNo}
                </a>
              ),
            },
            { title: '姓名', cell: (h) => h.name },
            { title: '身份证号', cell: (h) => <span data-testid="id-number">{h.idNumber}</span> },
            { title: '区划', cell: (h) => h.region },
            {
              title: '社保卡',
              cell: (h) => h.cards.map((c) => `${c.cardNumber}（${STATUS_WORDS[c.status]}）`).join('，'),
            },
          ]}
        />
      )}
    </>
  );
}

function CardActions(props: { card: Card; onDone(text: string): void; onError(text: string): void }) {
  const [event, setEvent] = useState<RequestableCardEvent>('reportTemporaryLoss');
  const [reason, setReason] = useState('');
  return (
    <form
      class="inline-form"
      data-card-actions={props.card.cardNumber}
      onSubmit={async (e) => {
        e.preventDefault();
        if (!confirm(`对卡 ${props.card.cardNumber} 执行“${EVENT_WORDS[event]}”？`)) return;
        try {
          const result = await call('applyCardEvent', {
            params: { cardNumber: props.card.cardNumber },
            body: { event, ...(reason ? { reason } : {}) },
          });
          props.onDone(
            `卡 ${props.card.cardNumber}：${EVENT_WORDS[event]}，现为${STATUS_WORDS[result.card.status]}`,
          );
        } catch (err) {
          props.onError(messageOf(err));
        }
      }}
    >
      <label>
        生命周期事件
        <select
          name="event"
          value={event}
          onChange={(e) => setEvent(e.currentTarget.value as RequestableCardEvent)}
        >
          {REQUESTABLE_CARD_EVENTS.map((ev) => (
            <option key={ev} value={ev}>
              {EVENT_WORDS[ev]}
            </option>
          ))}
        </select>
      </label>
      <label>
        原因
        <input
          name="reason"
          value={reason}
          maxLength={200}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <button type="submit" class="btn primary">
        执行
      </button>
    </form>
  );
}

function HolderDetail(props: PageProps & { personNo: string }) {
  const record = useLoad<HolderRecord>(
    () => call('getHolder', { params: { personNo: props.personNo } }),
    [props.personNo],
  );
  const history = useLoad(
    () => call('getHolderHistory', { params: { personNo: props.personNo } }),
    [props.personNo],
  );
  const [cardNumber, setCardNumber] = useState<string | undefined>();
  const cardHistory = useLoad(
    () =>
      cardNumber ? call('getCardHistory', { params: { cardNumber } }) : Promise.resolve({ history: [] }),
    [cardNumber],
  );
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>();
  const mayWrite = mayCall(props.operator.scopes, 'issueCard');
  const done = (text: string) => {
    setNotice({ kind: 'ok', text });
    record.reload();
    history.reload();
    cardHistory.reload();
  };
  const h = record.data?.holder;
  return (
    <>
      <p>
        <a href="#/holders">← 查找</a>
      </p>
      <Loading what={record} />
      {notice && <Notice kind={notice.kind}>{notice.text}</Notice>}
      {h && record.data && (
        <>
          <section class="panel" data-testid="holder" data-masked={String(record.data.masked)}>
            <h2>
              {h.name} · {h.personNo}
            </h2>
            {record.data.masked && <p class="muted">{MASKED_NOTE}</p>}
            <dl class="facts">
              <dt>身份证号</dt>
              <dd data-testid="id-number">{h.idNumber}</dd>
              <dt>出生日期</dt>
              <dd>{h.birthDate}</dd>
              <dt>区划</dt>
              <dd>{h.region}</dd>
              <dt>参保关系</dt>
              <dd>
                {record.data.relations
                  .map((r) => `${r.schemeCode}@${r.insuredRegion}（${r.status}）`)
                  .join('，') || '—'}
              </dd>
            </dl>
          </section>
          <section class="panel">
            <h2>
              社保卡
              {mayWrite && (
                <button
                  type="button"
                  class="btn"
                  data-action="issue"
                  onClick={async () => {
                    try {
                      const issued = await call('issueCard', {
                        params: { personNo: h.personNo },
                        body: { generation: 3 },
                      });
                      done(`已制新卡 ${issued.card.cardNumber}`);
                    } catch (e) {
                      setNotice({ kind: 'error', text: messageOf(e) });
                    }
                  }}
                >
                  制新卡
                </button>
              )}
            </h2>
            <DataTable<Card>
              testId="cards"
              rows={record.data.cards}
              rowKey={(c) => c.cardNumber}
              columns={[
                {
                  title: '卡号',
                  cell: (c) => (
                    <button
                      type="button"
                      class="link"
                      data-card={c.cardNumber}
                      onClick={() => setCardNumber(c.cardNumber)}
                    >
                      {c.cardNumber}
                    </button>
                  ),
                },
                { title: '状态', cell: (c) => <span data-status={c.status}>{STATUS_WORDS[c.status]}</span> },
                { title: '规范版本', cell: (c) => c.specVersion },
                { title: '发卡日期', cell: (c) => c.issueDate },
                { title: '有效期至', cell: (c) => c.expiryDate },
                { title: '补换', cell: (c) => c.replacedBy ?? c.replaces ?? '' },
              ]}
            />
            {mayWrite &&
              record.data.cards
                .filter((c) => c.status !== 'replaced' && c.status !== 'cancelled')
                .map((c) => (
                  <CardActions
                    key={c.cardNumber}
                    card={c}
                    onDone={done}
                    onError={(text) => setNotice({ kind: 'error', text })}
                  />
                ))}
          </section>
          {cardNumber && (
            <section class="panel" data-testid="card-history">
              <h2>卡 {cardNumber} 的记录</h2>
              <Loading what={cardHistory} />
              {cardHistory.data && (
                <DataTable
                  rows={cardHistory.data.history}
                  rowKey={(e) => String(e.id)}
                  columns={[
                    { title: '时间', cell: (e) => when(e.at) },
                    { title: '事件', cell: (e) => e.action },
                    { title: '变化', cell: (e) => <code>{JSON.stringify(e.changes)}</code> },
                    { title: '操作者', cell: (e) => e.actor },
                  ]}
                />
              )}
            </section>
          )}
          <section class="panel">
            <h2>参保人记录</h2>
            <Loading what={history} />
            {history.data && (
              <DataTable
                rows={history.data.history}
                rowKey={(e) => String(e.id)}
                columns={[
                  { title: '时间', cell: (e) => when(e.at) },
                  { title: '事件', cell: (e) => e.action },
                  { title: '变化', cell: (e) => <code>{JSON.stringify(e.changes)}</code> },
                  { title: '操作者', cell: (e) => e.actor },
                ]}
              />
            )}
          </section>
        </>
      )}
    </>
  );
}

function HoldersPage(props: PageProps) {
  return props.path[0] ? <HolderDetail {...props} personNo={props.path[0]} /> : <Search />;
}

registerPage({
  id: 'holders',
  title: '参保人与社保卡',
  group: 'work',
  order: 20,
  needs: 'searchHolders',
  component: HoldersPage,
});
