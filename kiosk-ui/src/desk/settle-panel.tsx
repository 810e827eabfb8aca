import { useWords } from '../components/language.js';
import { HolderLine, CardWaitPanel, RefusalNote } from '../counter/card-panel.js';
import { PrintNextActions } from '../counter/outcome.js';
import { useFirstField, useKeys } from '../counter/shell.js';
import { C } from '../counter/words.js';
import { fill } from '../i18n.js';
import { PinScreen } from '../kiosk/pin.js';
import { yuan } from '../money.js';
import type { TerminalView } from '../protocol.js';
import { parseBill } from './bill.js';
import type { DeskController } from './controller.js';
import { Slip } from './slip.js';
import type { DeskState, SettleStep } from './state.js';
import { D } from './words.js';

export function SettlePanel(props: { desk: DeskController; state: DeskState; terminal: TerminalView }) {
  const { desk, state } = props;
  const step = state.step;
  const card = state.card.state === 'read' ? state.card.card : undefined;
  return (
    <div class="settle" key={state.shown}>
      {card && step.name !== 'settled' && <HolderLine card={card} />}
      <SettleStepView desk={desk} state={state} step={step} terminal={props.terminal} />
    </div>
  );
}

function SettleStepView(props: {
  desk: DeskController;
  state: DeskState;
  step: SettleStep;
  terminal: TerminalView;
}) {
  const { desk, state, step, terminal } = props;
  const card = state.card.state === 'read' ? state.card.card : undefined;
  switch (step.name) {
    case 'card':
      return <CardWaitPanel card={state.card} onReadAgain={() => desk.readAgain()} />;
    case 'form':
      return <VisitFormPanel desk={desk} state={state} error={step.error} />;
    case 'working':
      return <Working what={step.what} />;
    case 'quote':
      return <QuotePanel desk={desk} step={step} state={state} terminal={terminal} />;
    case 'pin':
      return (
        <div class="counter-pin">
          {step.prompt ? (
            <PinScreen
              prompt={step.prompt}
              entered={step.entered}
              digits={step.digits}
              waiting={false}
              onKey={(key) => desk.pressKey(key)}
              onCancel={() => desk.cancelPin()}
            />
          ) : (
            <Working what={D.settling} />
          )}
          <PinKeys desk={desk} />
        </div>
      );
    case 'settled':
      return <SettledPanel desk={desk} step={step} state={state} terminal={terminal} card={card} />;
    case 'problem':
      return <ProblemPanel desk={desk} step={step} />;
  }
}

function PinKeys(props: { desk: DeskController }) {
  useKeys({ Escape: () => props.desk.cancelPin() }, [props.desk]);
  return null;
}

function Working(props: { what: { zh: string; en: string } }) {
  const { t } = useWords();
  return (
    <section class="panel" data-screen="working" aria-busy="true" aria-labelledby="working-title">
      <h1 id="working-title">{t(props.what)}</h1>
    </section>
  );
}

function VisitFormPanel(props: {
  desk: DeskController;
  state: DeskState;
  error: { zh: string; en: string } | undefined;
}) {
  const first = useFirstField<HTMLInputElement>();
  const { t } = useWords();
  const { desk, state } = props;
  const { form } = state;
  const bill = parseBill(form.billText);
  useKeys({ F9: () => void desk.preSettle() }, [desk]);
  return (
    <form
      class="panel visit-form"
      data-screen="visit"
      aria-labelledby="visit-title"
      onSubmit={(event) => {
        event.preventDefault();
        void desk.preSettle();
      }}
    >
      <h1 id="visit-title">{t(D.visitTitle)}</h1>
      <div class="form-row">
        <label>
          {t(D.hisVisitNo)}
          <input
            name="hisVisitNo"
            value={form.hisVisitNo}
            maxLength={50}
            ref={first}
            autoComplete="off"
            onInput={(e) => desk.editForm({ hisVisitNo: e.currentTarget.value })}
          />
        </label>
        <label>
          {t(D.scheme)}
          <select
            name="scheme"
            value={form.scheme}
            onChange={(e) => desk.editForm({ scheme: e.currentTarget.value === '390' ? '390' : '310' })}
          >
            <option value="310">{t(D.scheme310)}</option>
            <option value="390">{t(D.scheme390)}</option>
          </select>
        </label>
        <label>
          {t(D.visitType)}
          <select
            name="visitType"
            value={form.visitType}
            onChange={(e) =>
              desk.editForm({ visitType: e.currentTarget.value === 'inpatient' ? 'inpatient' : 'outpatient' })
            }
          >
            <option value="outpatient">{t(D.outpatient)}</option>
            <option value="inpatient">{t(D.inpatient)}</option>
          </select>
        </label>
      </div>
      <label class="bill-label">
        {t(D.bill)}
        <span class="hint" id="bill-hint">
          {t(D.billHint)}
        </span>
        <textarea
          name="bill"
          rows={8}
          spellcheck={false}
          aria-describedby="bill-hint bill-summary"
          value={form.billText}
          onInput={(e) => desk.editForm({ billText: e.currentTarget.value })}
          onKeyDown={(e) => {
            // Enter starts a new line here; Ctrl+Enter sends the form, as F9 does.
            if (e.key === 'Enter' && e.ctrlKey) {
              e.preventDefault();
              void desk.preSettle();
            }
          }}
        />
      </label>
      <p id="bill-summary" class="bill-summary" aria-live="polite">
        {bill.ok ? t(fill(D.billLines, { n: bill.lines.length, sum: yuan(bill.total) })) : ''}
      </p>
      {props.error && <RefusalNote text={props.error} code="FORM" />}
      <div class="counter-actions">
        <button type="submit" class="cbtn primary">
          <kbd>F9</kbd> {t(D.preSettle)}
        </button>
      </div>
    </form>
  );
}

function QuotePanel(props: {
  desk: DeskController;
  state: DeskState;
  step: Extract<SettleStep, { name: 'quote' }>;
  terminal: TerminalView;
}) {
  const { t } = useWords();
  const { desk, step } = props;
  const { priced } = step;
  const card = props.state.card.state === 'read' ? props.state.card.card : undefined;
  useKeys(
    {
      Enter: () => desk.settle(),
      F7: () => void desk.useAccount(!priced.useAccount),
      Escape: () => desk.back(),
    },
    [desk, priced],
  );
  return (
    <section class="panel" data-screen="quote" aria-labelledby="slip-title">
      {priced.from === 'his' && (
        <p class="notice" data-from="his">
          {t(D.fromHis)}
        </p>
      )}
      <Slip
        terminal={props.terminal}
        visit={priced.visit}
        card={card}
        breakdown={priced.quote.breakdown}
        result={undefined}
      />
      <label class="check">
        <input
          type="checkbox"
          name="useAccount"
          checked={priced.useAccount}
          onChange={(e) => void desk.useAccount(e.currentTarget.checked)}
        />
        <kbd>F7</kbd> {t(D.useAccount)}
      </label>
      <div class="counter-actions">
        <button type="button" class="cbtn secondary" onClick={() => desk.back()}>
          <kbd>Esc</kbd> {t(C.back)}
        </button>
        <button type="button" class="cbtn primary" data-action="settle" onClick={() => desk.settle()}>
          <kbd>Enter</kbd> {t(D.settle)}
        </button>
      </div>
    </section>
  );
}

function SettledPanel(props: {
  desk: DeskController;
  state: DeskState;
  step: Extract<SettleStep, { name: 'settled' }>;
  terminal: TerminalView;
  card: Parameters<typeof Slip>[0]['card'];
}) {
  const { t } = useWords();
  const { desk, step } = props;
  return (
    <section class="panel" data-screen="settled" aria-labelledby="settled-title">
      <h1 id="settled-title" class="good no-print">
        {t(D.settled)}
      </h1>
      <Slip
        terminal={props.terminal}
        visit={step.priced.visit}
        card={props.card}
        breakdown={step.result.settlement.breakdown}
        result={step.result}
      />
      <PrintNextActions onNext={() => desk.next()} />
    </section>
  );
}

function ProblemPanel(props: { desk: DeskController; step: Extract<SettleStep, { name: 'problem' }> }) {
  const { t } = useWords();
  const { desk, step } = props;
  useKeys({ Enter: () => desk.back(), Escape: () => desk.next() }, [desk]);
  return (
    <section
      class="panel"
      data-screen="problem"
      data-code={step.problem.code}
      aria-labelledby="problem-title"
    >
      <h1 id="problem-title" class="bad">
        {t(C.failed)}
      </h1>
      <RefusalNote text={step.text} code={step.problem.code} />
      <div class="counter-actions">
        <button type="button" class="cbtn secondary" onClick={() => desk.next()}>
          <kbd>Esc</kbd> {t(C.next)}
        </button>
        <button type="button" class="cbtn primary" onClick={() => desk.back()}>
          <kbd>Enter</kbd> {t(C.back)}
        </button>
      </div>
    </section>
  );
}
