import { useState } from 'preact/hooks';
import { useWords } from '../components/language.js';
import type { AgentSocket } from '../connection.js';
import { CardWaitPanel, HolderLine, RefusalNote } from '../counter/card-panel.js';
import { EnterAction, FinalSlip, PrintNextActions, type SlipRow } from '../counter/outcome.js';
import { CounterShell, type Tab, useFirstField } from '../counter/shell.js';
import { chinaTime } from '../counter/time.js';
import { C } from '../counter/words.js';
import { useFlow } from '../flows/flow.js';
import { fill, type Text } from '../i18n.js';
import type { PinAuthorisationView, TerminalView } from '../protocol.js';
import { BureauController } from './controller.js';
import type { BureauState, BureauStep, BureauTab } from './state.js';
import { U } from './words.js';

const TABS: readonly Tab<BureauTab>[] = [
  { key: 'unblock', label: U.tabUnblock, fkey: 'F1' },
  { key: 'reload', label: U.tabReload, fkey: 'F2' },
];

/** The social insurance bureau's counter: a card's PIN unblocked or reset, on the clerk's authorisation. */
export function BureauApp(props: {
  socket: AgentSocket;
  terminal: TerminalView;
  /** How long a signed-in clerk may leave the screen untouched before they are signed out. */
  clerkIdleMs?: number | undefined;
  onSwitchLanguage(): void;
}) {
  const [bureau] = useState(
    () =>
      new BureauController(
        props.socket,
        props.clerkIdleMs === undefined ? {} : { clerkIdleMs: props.clerkIdleMs },
      ),
  );
  const state = useFlow(bureau.flow);
  const card = state.card.state === 'read' ? state.card.card : undefined;
  const { t } = useWords();
  return (
    <CounterShell
      title={U.title}
      terminal={props.terminal}
      connection={state.connection}
      readers={state.readers}
      tabs={TABS}
      tab={state.tab}
      onTab={(tab) => bureau.openTab(tab)}
      onSwitchLanguage={props.onSwitchLanguage}
    >
      <div class="settle" key={state.shown}>
        {state.clerk && (
          <p class="clerk-line" data-clerk={state.clerk.operatorId}>
            <span>{t(fill(U.signedInAs, { name: state.clerk.name }))}</span>
            <button
              type="button"
              class="cbtn secondary"
              disabled={state.step.name === 'working'}
              onClick={() => bureau.signOut()}
            >
              {t(U.signOut)}
            </button>
          </p>
        )}
        {card && state.clerk && state.step.name !== 'done' && <HolderLine card={card} />}
        <BureauStepView bureau={bureau} state={state} step={state.step} />
      </div>
    </CounterShell>
  );
}

function BureauStepView(props: { bureau: BureauController; state: BureauState; step: BureauStep }) {
  const { t } = useWords();
  const { bureau, state, step } = props;
  switch (step.name) {
    case 'sign-in':
      return <SignInForm bureau={bureau} error={step.error} />;
    case 'card':
      return <CardWaitPanel card={state.card} onReadAgain={() => bureau.readAgain()} />;
    case 'identity':
      return <IdentityForm bureau={bureau} state={state} error={step.error} />;
    case 'working':
      return (
        <section class="panel" data-screen="working" aria-labelledby="working-title">
          <h1 id="working-title" aria-live="polite">
            {t(U.working)}
          </h1>
        </section>
      );
    case 'done':
      return <DonePanel bureau={bureau} authorisation={step.authorisation} at={step.at} />;
    case 'not-done':
      return <NotDonePanel bureau={bureau} text={step.text} code={String(step.code)} screen="not-done" />;
    case 'problem':
      return <NotDonePanel bureau={bureau} text={step.text} code={step.problem.code} screen="problem" />;
  }
}

function SignInForm(props: { bureau: BureauController; error: Text | undefined }) {
  const first = useFirstField<HTMLInputElement>();
  const { t } = useWords();
  const [token, setToken] = useState('');
  return (
    <form
      class="panel"
      data-screen="sign-in"
      aria-labelledby="sign-in-title"
      onSubmit={(event) => {
        event.preventDefault();
        void props.bureau.signIn(token);
      }}
    >
      <h1 id="sign-in-title">{t(U.signInTitle)}</h1>
      <p>{t(U.signInHint)}</p>
      <label>
        {t(U.token)}
        <input
          name="clerkToken"
          type="password"
          autoComplete="off"
          spellcheck={false}
          ref={first}
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
      </label>
      {props.error && (
        <RefusalNote text={props.error} code={props.error === U.signedOutIdle ? 'IDLE' : 'CLERK'} />
      )}
      <div class="counter-actions">
        <button type="submit" class="cbtn primary">
          <kbd>Enter</kbd> {t(U.signIn)}
        </button>
      </div>
    </form>
  );
}

function IdentityForm(props: { bureau: BureauController; state: BureauState; error: Text | undefined }) {
  const first = useFirstField<HTMLInputElement>();
  const { t } = useWords();
  const { bureau, state } = props;
  const unblock = state.tab === 'unblock';
  return (
    <form
      class="panel"
      data-screen="identity"
      data-operation={state.tab}
      aria-labelledby="identity-title"
      onSubmit={(event) => {
        event.preventDefault();
        void bureau.authoriseAndDo();
      }}
    >
      <h1 id="identity-title">{t(unblock ? U.tabUnblock : U.tabReload)}</h1>
      <p>{t(unblock ? U.unblockHint : U.reloadHint)}</p>
      <p>{t(U.idCheck)}</p>
      <label>
        {t(U.idNumber)}
        <input
          name="holderIdNumber"
          autoComplete="off"
          spellcheck={false}
          maxLength={18}
          ref={first}
          value={state.idNumberText}
          onInput={(e) => bureau.editIdNumber(e.currentTarget.value)}
        />
      </label>
      {props.error && <RefusalNote text={props.error} code="FORM" />}
      <div class="counter-actions">
        <button type="submit" class="cbtn primary">
          <kbd>Enter</kbd> {t(unblock ? U.authoriseUnblock : U.authoriseReload)}
        </button>
      </div>
    </form>
  );
}

function DonePanel(props: { bureau: BureauController; authorisation: PinAuthorisationView; at: string }) {
  const { t } = useWords();
  const { bureau, authorisation } = props;
  const unblock = authorisation.operation === 'unblock';
  const rows: SlipRow[] = [
    [U.operation, t(unblock ? U.tabUnblock : U.tabReload)],
    [C.cardNumber, authorisation.cardNumber],
    [U.clerk, authorisation.clerk.name],
    [U.time, chinaTime(props.at)],
  ];
  return (
    <section
      class="panel"
      data-screen="done"
      data-operation={authorisation.operation}
      aria-labelledby="done-title"
    >
      <h1 id="done-title" class="good">
        {t(unblock ? U.unblocked : U.reloaded)}
      </h1>
      {!unblock && <p>{t(U.changeSoon)}</p>}
      <FinalSlip title={U.slipTitle} rows={rows} />
      <PrintNextActions onNext={() => bureau.next()} />
    </section>
  );
}

function NotDonePanel(props: { bureau: BureauController; text: Text; code: string; screen: string }) {
  const { t } = useWords();
  return (
    <section class="panel" data-screen={props.screen} data-code={props.code} aria-labelledby="not-done-title">
      <h1 id="not-done-title" class="bad">
        {t(U.notDone)}
      </h1>
      <RefusalNote text={props.text} code={props.code} />
      <EnterAction label={C.back} onEnter={() => props.bureau.next()} />
    </section>
  );
}
