import { useState } from 'preact/hooks';
import { useWords } from '../components/language.js';
import type { AgentSocket } from '../connection.js';
import { CardWaitPanel, HolderLine, RefusalNote } from '../counter/card-panel.js';
import { EnterAction, FinalSlip, PrintNextActions, type SlipRow, SlipRows } from '../counter/outcome.js';
import { CounterShell, type Tab, useFirstField, useKeys } from '../counter/shell.js';
import { chinaTime } from '../counter/time.js';
import { C } from '../counter/words.js';
import { useFlow } from '../flows/flow.js';
import { fill, type Text } from '../i18n.js';
import { yuan } from '../money.js';
import type {
  BankBalanceView,
  BankWithdrawalView,
  PensionCertificationView,
  PensionStatementView,
  PinResultView,
  TerminalView,
} from '../protocol.js';
import { BankController } from './controller.js';
import type { BankState, BankStep, BankTab, PinService } from './state.js';
import { B } from './words.js';

const TABS: readonly Tab<BankTab>[] = [
  { key: 'withdraw', label: B.tabWithdraw, fkey: 'F1' },
  { key: 'balance', label: B.tabBalance, fkey: 'F2' },
  { key: 'certify', label: B.tabCertify, fkey: 'F3' },
];

/** The bank counter's social security card services. */
export function BankApp(props: { socket: AgentSocket; terminal: TerminalView; onSwitchLanguage(): void }) {
  const [bank] = useState(() => new BankController(props.socket));
  const state = useFlow(bank.flow);
  const card = state.card.state === 'read' ? state.card.card : undefined;
  return (
    <CounterShell
      title={B.title}
      terminal={props.terminal}
      connection={state.connection}
      readers={state.readers}
      tabs={TABS}
      tab={state.tab}
      onTab={(tab) => bank.openTab(tab)}
      onSwitchLanguage={props.onSwitchLanguage}
    >
      <div class="settle" key={state.shown}>
        {card && state.step.name !== 'result' && <HolderLine card={card} />}
        <BankStepView bank={bank} state={state} step={state.step} />
      </div>
    </CounterShell>
  );
}

function BankStepView(props: { bank: BankController; state: BankState; step: BankStep }) {
  const { t } = useWords();
  const { bank, state, step } = props;
  switch (step.name) {
    case 'card':
      return <CardWaitPanel card={state.card} onReadAgain={() => bank.readAgain()} />;
    case 'amount':
      return <AmountForm bank={bank} state={state} error={step.error} />;
    case 'pin':
      return (
        <section class="panel" data-screen="bank-pin" aria-labelledby="pin-title">
          <h1 id="pin-title">{t(B.bankPin)}</h1>
          <p class="big-amount">
            {yuan(step.amount)} {t(C.yuan)}
          </p>
          <PinDots entered={step.entered} />
          <p class="hint">{t(B.authorising)}</p>
        </section>
      );
    case 'result':
      return <ResultPanel bank={bank} result={step.result} />;
    case 'problem':
      return <ProblemPanel bank={bank} code={step.problem.code} text={step.text} />;
    case 'ask-pin':
      return <AskPinPanel bank={bank} service={step.service} />;
    case 'service-pin':
      return <ServicePinPanel bank={bank} entered={step.entered} />;
    case 'balance-pin':
      return (
        <section class="panel" data-screen="balance-pin" aria-labelledby="pin-title">
          <h1 id="pin-title">{t(B.bankPin)}</h1>
          <p class="hint">{t(B.enquiring)}</p>
        </section>
      );
    case 'balance-declined':
      return <BalanceDeclinedPanel bank={bank} result={step.result} />;
    case 'statement':
      return <StatementPanel bank={bank} statement={step.statement} />;
    case 'certified':
      return <CertifiedPanel bank={bank} certification={step.certification} />;
    case 'pin-refused':
      return <PinRefusedPanel bank={bank} service={step.service} pin={step.pin} />;
  }
}

function AskPinPanel(props: { bank: BankController; service: PinService }) {
  const { t } = useWords();
  const { bank } = props;
  return (
    <section class="panel" data-screen="ask-pin" data-service={props.service} aria-labelledby="ask-title">
      <h1 id="ask-title">{t(props.service === 'balance' ? B.tabBalance : B.tabCertify)}</h1>
      <p>{t(props.service === 'balance' ? B.balanceHint : B.certifyHint)}</p>
      <EnterAction label={B.startPin} onEnter={() => bank.askPin()} />
    </section>
  );
}

function ServicePinPanel(props: { bank: BankController; entered: number }) {
  const { t } = useWords();
  const { bank, entered } = props;
  useKeys({ Escape: () => bank.cancelPin() }, [bank]);
  return (
    <section class="panel" data-screen="service-pin" aria-labelledby="pin-title">
      <h1 id="pin-title">{t(B.askPin)}</h1>
      <PinDots entered={entered} />
      <div class="counter-actions">
        <button type="button" class="cbtn secondary" onClick={() => bank.cancelPin()}>
          <kbd>Esc</kbd> {t(C.cancel)}
        </button>
      </div>
    </section>
  );
}

function PinDots(props: { entered: number }) {
  const { t } = useWords();
  return (
    <>
      <div class="pin-dots" aria-hidden="true" data-entered={String(props.entered)}>
        {Array.from({ length: Math.max(6, props.entered) }, (_, i) => (
          <span key={i} class={i < props.entered ? 'dot filled' : 'dot'} />
        ))}
      </div>
      <p aria-live="polite">{t(fill(C.pinEntered, { n: props.entered }))}</p>
    </>
  );
}

const PENSION_STATUS: Record<string, Text> = { active: B.active, suspended: B.suspended, stopped: B.stopped };

function StatementPanel(props: { bank: BankController; statement: PensionStatementView }) {
  const { t } = useWords();
  const { bank, statement } = props;
  const { pension } = statement;
  const rows: SlipRow[] = [
    [C.cardNumber, statement.cardNumber],
    [B.cardBalance, yuan(statement.cardAccountBalance)],
    ...(pension
      ? ([
          [B.monthly, yuan(pension.monthlyAmount), 'monthly'],
          [
            B.pensionStatus,
            `${t(PENSION_STATUS[pension.status] ?? { zh: pension.status, en: pension.status })}${pension.frozen ? ` · ${t(B.frozen)}` : ''}`,
          ],
          [B.paidThrough, pension.paidThrough ?? ''],
          [B.certifiedUntil, pension.certifiedUntil, 'certified-until'],
        ] satisfies SlipRow[])
      : ([[B.pension, t(B.noPension)]] satisfies SlipRow[])),
  ];
  return (
    <section class="panel" data-screen="statement" aria-labelledby="statement-title">
      <h1 id="statement-title">{t(B.cardBalance)}</h1>
      <p class="big-amount" data-field="balance">
        {yuan(statement.cardAccountBalance)} {t(C.yuan)}
      </p>
      <FinalSlip title={B.tabBalance} rows={rows}>
        {statement.payments.length > 0 && (
          <table class="dense">
            <caption>{t(B.payments)}</caption>
            <thead>
              <tr>
                <th scope="col">{t(B.month)}</th>
                <th scope="col" class="num">
                  {t(C.yuan)}
                </th>
                <th scope="col">{t(B.paidAt)}</th>
              </tr>
            </thead>
            <tbody>
              {statement.payments.slice(0, 6).map((p) => (
                <tr key={p.txnId}>
                  <td>{p.month}</td>
                  <td class="num">{yuan(p.amount)}</td>
                  <td>{chinaTime(p.paidAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </FinalSlip>
      <PrintNextActions onNext={() => bank.next()} />
    </section>
  );
}

function BalanceDeclinedPanel(props: { bank: BankController; result: BankBalanceView }) {
  const { t } = useWords();
  const { bank, result } = props;
  return (
    <section
      class="panel"
      data-screen="balance-declined"
      data-status={result.status}
      aria-labelledby="balance-declined-title"
    >
      <h1 id="balance-declined-title" class="bad">
        {t(result.status === 'declined_by_card' ? B.balanceDeclinedByCard : B.balanceDeclined)}
      </h1>
      <PinTriesLeft arc={result.arc} left={result.pinTriesLeft} />
      <SlipRows
        rows={[
          [B.account, result.pan],
          [B.arc, arcText(result.arc, t), 'arc'],
        ]}
      />
      <EnterAction label={C.next} onEnter={() => bank.next()} />
    </section>
  );
}

function CertifiedPanel(props: { bank: BankController; certification: PensionCertificationView }) {
  const { t } = useWords();
  const { bank, certification } = props;
  return (
    <section
      class="panel"
      data-screen="certified"
      data-status={certification.status}
      aria-labelledby="certified-title"
    >
      <h1 id="certified-title" class={certification.status === 'certified' ? 'good' : ''}>
        {t(certification.status === 'certified' ? B.certified : B.queued)}
      </h1>
      <SlipRows
        rows={[
          ...(certification.status === 'certified'
            ? ([[B.validUntil, certification.validUntil, 'valid-until']] satisfies SlipRow[])
            : []),
          [B.reference, certification.reference],
        ]}
      />
      <EnterAction label={C.next} onEnter={() => bank.next()} />
    </section>
  );
}

function PinRefusedPanel(props: { bank: BankController; service: PinService; pin: PinResultView }) {
  const { t } = useWords();
  const { bank, pin } = props;
  return (
    <section
      class="panel"
      data-screen="pin-refused"
      data-outcome={pin.outcome}
      aria-labelledby="refused-title"
    >
      <h1 id="refused-title" class="bad">
        {t(B.pinRefused)}
      </h1>
      <RefusalNote text={pin.message} code={String(pin.code)} />
      <EnterAction label={C.retry} onEnter={() => bank.retry(props.service)} />
    </section>
  );
}

function AmountForm(props: { bank: BankController; state: BankState; error: Text | undefined }) {
  const first = useFirstField<HTMLInputElement>();
  const { t } = useWords();
  const { bank, state } = props;
  return (
    <form
      class="panel"
      data-screen="amount"
      aria-labelledby="amount-title"
      onSubmit={(event) => {
        event.preventDefault();
        void bank.withdraw();
      }}
    >
      <h1 id="amount-title">{t(B.tabWithdraw)}</h1>
      <label>
        {t(B.amount)}
        <input
          name="amount"
          inputMode="decimal"
          autoComplete="off"
          ref={first}
          value={state.amountText}
          onInput={(e) => bank.editAmount(e.currentTarget.value)}
        />
      </label>
      {props.error && <RefusalNote text={props.error} code="FORM" />}
      <div class="counter-actions">
        <button type="submit" class="cbtn primary">
          <kbd>Enter</kbd> {t(B.withdraw)}
        </button>
      </div>
    </form>
  );
}

const OUTCOME: Record<BankWithdrawalView['status'], Text> = {
  completed: B.completed,
  declined: B.declined,
  reversed: B.reversed,
  declined_by_card: B.declinedByCard,
};

const ARC: Record<string, Text> = {
  '00': B.arc00,
  '51': B.arc51,
  '55': B.arc55,
  '62': B.arc62,
  '75': B.arc75,
};

/** After a wrong bank PIN (answer code 55): how many tries the card has left. */
function PinTriesLeft(props: { arc: string | null; left: number | null }) {
  const { t } = useWords();
  if (props.arc !== '55' || props.left === null) return null;
  return (
    <p class="bad" data-field="pin-tries">
      {t(fill(C.pinWrong, { n: props.left }))}
    </p>
  );
}

/** The issuer's answer code, with its meaning where it has one. */
function arcText(arc: string | null, t: (text: Text) => string): string {
  if (arc === null) return '';
  const meaning = ARC[arc];
  return `${arc} ${meaning ? t(meaning) : ''}`;
}

function ResultPanel(props: { bank: BankController; result: BankWithdrawalView }) {
  const { t } = useWords();
  const { bank, result } = props;
  const good = result.status === 'completed';
  const rows: SlipRow[] = [
    [B.account, result.pan],
    [B.amount, yuan(result.amount)],
    [B.arc, arcText(result.arc, t)],
    [B.balanceAfter, result.balance === null ? '' : yuan(result.balance)],
    [B.withdrawalId, result.withdrawalId ?? ''],
    [B.reference, result.authorisationKey ?? ''],
    [{ zh: '时间', en: 'Time' }, chinaTime(new Date().toISOString())],
  ];
  return (
    <section
      class="panel"
      data-screen="withdrawal-result"
      data-status={result.status}
      aria-labelledby="result-title"
    >
      <h1 id="result-title" class={good ? 'good' : 'bad'}>
        {t(OUTCOME[result.status])}
      </h1>
      <PinTriesLeft arc={result.arc} left={result.pinTriesLeft} />
      {good && (
        <p class="big-amount" data-field="payout">
          {yuan(result.amount)} {t(C.yuan)}
        </p>
      )}
      <FinalSlip title={B.receipt} rows={rows} />
      <PrintNextActions onNext={() => bank.next()} />
    </section>
  );
}

function ProblemPanel(props: { bank: BankController; code: string; text: Text }) {
  const { t } = useWords();
  return (
    <section class="panel" data-screen="problem" data-code={props.code} aria-labelledby="problem-title">
      <h1 id="problem-title" class="bad">
        {t(C.failed)}
      </h1>
      <RefusalNote text={props.text} code={props.code} />
      <EnterAction label={C.back} onEnter={() => props.bank.next()} />
    </section>
  );
}
