import type { ComponentChildren } from 'preact';
import { useWords } from '../components/language.js';
import { RefusalNote } from '../counter/card-panel.js';
import { refusalText } from '../counter/problem.js';
import { useKeys, useFirstField } from '../counter/shell.js';
import { chinaTime } from '../counter/time.js';
import { C } from '../counter/words.js';
import { fill, type Text } from '../i18n.js';
import { yuan } from '../money.js';
import type { DeskDayView, DeskPendingView, DeskReconciliationView } from '../protocol.js';
import type { DeskController } from './controller.js';
import type { DeskState, Fetched } from './state.js';
import { D } from './words.js';

const STATUS: Record<string, Text> = {
  settled: D.statusSettled,
  cancelled: D.statusCancelled,
  reversed: D.statusReversed,
};

/** A list panel: its title, a refresh key, and the list once it came (or why it did not). */
function ListPanel<T>(props: {
  name: string;
  title: Text;
  fetched: Fetched<T> | undefined;
  onRefresh(): void;
  children(value: T): ComponentChildren;
}) {
  const { t } = useWords();
  useKeys({ F5: props.onRefresh }, [props.onRefresh]);
  const { fetched } = props;
  return (
    <section class="panel list-panel" data-screen={props.name} aria-labelledby={`${props.name}-title`}>
      <div class="list-head">
        <h1 id={`${props.name}-title`}>{t(props.title)}</h1>
        <button type="button" class="cbtn secondary" onClick={props.onRefresh}>
          <kbd>F5</kbd> {t(C.refresh)}
        </button>
      </div>
      {!fetched || fetched.state === 'loading' ? (
        <p aria-busy="true">{t(C.waiting)}</p>
      ) : fetched.state === 'failed' ? (
        <RefusalNote text={refusalText(fetched.problem)} code={fetched.problem.code} />
      ) : (
        props.children(fetched.value)
      )}
    </section>
  );
}

export function DayPanel(props: { desk: DeskController; state: DeskState }) {
  const { t } = useWords();
  const { desk, state } = props;
  const { cancelling } = state;
  return (
    <ListPanel name="day" title={D.dayTitle} fetched={state.day} onRefresh={() => void desk.loadDay()}>
      {(day: DeskDayView) => (
        <>
          <p>
            {t(D.date)}: {day.date}
          </p>
          {state.notice && (
            <p class="notice" role="status">
              {t(state.notice)}
            </p>
          )}
          {cancelling && (
            <CancelConfirm
              settlementId={cancelling.settlementId}
              working={cancelling.working}
              onYes={() => void desk.confirmCancel()}
              onNo={() => desk.dropCancel()}
            />
          )}
          <table class="dense">
            <thead>
              <tr>
                <th scope="col">{t(D.time)}</th>
                <th scope="col">{t(D.settlementId)}</th>
                <th scope="col">{t(C.cardNumber)}</th>
                <th scope="col" class="num">
                  {t(D.medfee_sumamt)}
                </th>
                <th scope="col" class="num">
                  {t(D.fund_pay_sumamt)}
                </th>
                <th scope="col" class="num">
                  {t(D.acct_pay)}
                </th>
                <th scope="col" class="num">
                  {t(D.psn_cash_pay)}
                </th>
                <th scope="col">{t(D.status)}</th>
                <th scope="col">
                  <span class="sr-only">{t(D.cancel)}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {day.settlements.length === 0 && (
                <tr>
                  <td colSpan={9}>{t(D.none)}</td>
                </tr>
              )}
              {day.settlements.map(({ settlement: s }) => (
                <tr key={s.settlementId} data-settlement={s.settlementId} data-status={s.status}>
                  <td>{chinaTime(s.settledAt).slice(11)}</td>
                  <td>{s.settlementId}</td>
                  <td>{s.cardNumber}</td>
                  <td class="num">{yuan(s.breakdown.medfee_sumamt)}</td>
                  <td class="num">{yuan(s.breakdown.fund_pay_sumamt)}</td>
                  <td class="num">{yuan(s.breakdown.acct_pay)}</td>
                  <td class="num">{yuan(s.breakdown.psn_cash_pay)}</td>
                  <td>{t(STATUS[s.status] ?? { zh: s.status, en: s.status })}</td>
                  <td>
                    {s.status === 'settled' && (
                      <button
                        type="button"
                        class="cbtn small"
                        data-action="cancel"
                        aria-label={`${t(D.cancel)} ${s.settlementId}`}
                        onClick={() => desk.askCancel(s.settlementId)}
                      >
                        {t(D.cancel)}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </ListPanel>
  );
}

function CancelConfirm(props: { settlementId: string; working: boolean; onYes(): void; onNo(): void }) {
  const first = useFirstField<HTMLButtonElement>();
  const { t } = useWords();
  useKeys({ Escape: props.onNo }, [props.onNo]);
  return (
    <div class="confirm" role="alertdialog" aria-labelledby="cancel-text" data-screen="cancel-confirm">
      <p id="cancel-text">{t(fill(D.cancelConfirm, { id: props.settlementId }))}</p>
      <button type="button" class="cbtn secondary" onClick={props.onNo} disabled={props.working}>
        <kbd>Esc</kbd> {t(C.back)}
      </button>
      <button
        type="button"
        class="cbtn danger"
        data-action="confirm-cancel"
        onClick={props.onYes}
        disabled={props.working}
        ref={first}
      >
        {t(D.cancelYes)}
      </button>
    </div>
  );
}

export function PendingPanel(props: { desk: DeskController; state: DeskState }) {
  const { t } = useWords();
  const { desk, state } = props;
  return (
    <ListPanel
      name="pending"
      title={D.pendingTitle}
      fetched={state.pending}
      onRefresh={() => void desk.loadPending()}
    >
      {(pending: DeskPendingView) => (
        <table class="dense">
          <thead>
            <tr>
              <th scope="col">{t(D.attemptKey)}</th>
              <th scope="col">{t(D.operation)}</th>
              <th scope="col">{t(D.status)}</th>
              <th scope="col">{t(D.time)}</th>
              <th scope="col" class="num">
                {t(D.attempts)}
              </th>
              <th scope="col">{t(D.lastError)}</th>
            </tr>
          </thead>
          <tbody>
            {pending.items.length === 0 && (
              <tr>
                <td colSpan={6}>{t(D.none)}</td>
              </tr>
            )}
            {pending.items.map((item) => (
              <tr key={item.idempotencyKey} data-state={item.state}>
                <td>{item.idempotencyKey}</td>
                <td>{item.operation}</td>
                <td>{t(item.state === 'parked' ? D.parked : D.unanswered)}</td>
                <td>{chinaTime(item.createdAt)}</td>
                <td class="num">{item.attempts}</td>
                <td>{item.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ListPanel>
  );
}

export function ReconciliationPanel(props: { desk: DeskController; state: DeskState }) {
  const { t } = useWords();
  const { desk, state } = props;
  return (
    <ListPanel
      name="reconciliation"
      title={D.reconTitle}
      fetched={state.reconciliation}
      onRefresh={() => void desk.loadReconciliation()}
    >
      {(r: DeskReconciliationView) => (
        <>
          <p class={r.balanced ? 'verdict good' : 'verdict bad'} data-balanced={String(r.balanced)}>
            {r.date} · {t(r.balanced ? D.balanced : D.unbalanced)}
          </p>
          <table class="dense">
            <thead>
              <tr>
                <th scope="col" />
                <th scope="col" class="num">
                  {t(D.count)}
                </th>
                <th scope="col" class="num">
                  {t(D.medfee_sumamt)}
                </th>
                <th scope="col" class="num">
                  {t(D.hifp_pay)}
                </th>
                <th scope="col" class="num">
                  {t(D.acct_pay)}
                </th>
                <th scope="col" class="num">
                  {t(D.psn_cash_pay)}
                </th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  [D.standing, r.service.standing],
                  [D.ended, r.service.ended],
                ] as const
              ).map(([label, totals]) => (
                <tr key={label.en}>
                  <th scope="row">
                    {t(D.service)} · {t(label)}
                  </th>
                  <td class="num">{totals.count}</td>
                  <td class="num">{yuan(totals.medfee_sumamt)}</td>
                  <td class="num">{yuan(totals.hifp_pay)}</td>
                  <td class="num">{yuan(totals.acct_pay)}</td>
                  <td class="num">{yuan(totals.psn_cash_pay)}</td>
                </tr>
              ))}
              <tr data-row="journal">
                <th scope="row">
                  {t(D.journal)} · {t(D.standing)}
                </th>
                <td class="num">{r.journal.standing}</td>
                <td class="num">{yuan(r.journal.medfee_sumamt)}</td>
                <td colSpan={3} />
              </tr>
            </tbody>
          </table>
          <p>
            {t(D.pendingCount)}: {r.pending} · {t(D.mismatches)}: {r.mismatches.length}
          </p>
          {r.mismatches.length > 0 && (
            <ul class="mismatches">
              {r.mismatches.map((m) => (
                <li key={`${m.kind}-${m.settlementId ?? m.attemptKey}`}>
                  {m.kind}: {m.settlementId ?? m.attemptKey}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </ListPanel>
  );
}
