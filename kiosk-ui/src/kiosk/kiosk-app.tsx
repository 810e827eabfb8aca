import { useEffect } from 'preact/hooks';
import { useWords } from '../components/language.js';
import { TopBar } from '../components/top-bar.js';
import { useFlow } from '../flows/flow.js';
import { canReportLost } from '../format.js';
import { T } from '../i18n.js';
import type { KioskController } from './controller.js';
import { DetailsScreen, isGenuine, ResultScreen } from './card.js';
import { IdleScreen, OfflineScreen, readerStatusText } from './idle.js';
import { LostConfirmScreen, LostProblemScreen, LostResultScreen } from './lost.js';
import { MenuScreen } from './menu.js';
import { MoreTimeScreen, ReadFailedScreen, TakeCardScreen, ThenFinish, WaitScreen } from './messages.js';
import { ProblemText } from '../components/problem.js';
import { Screen } from '../components/screen.js';
import { PinOutcomeScreen, PinProblemScreen, PinScreen } from './pin.js';
import { CertifyConfirmScreen, CertifyResultScreen } from './certify.js';
import { MedicalScreen } from './medical.js';
import { PensionScreen } from './pension.js';
import { counterText } from './problems.js';
import type { KioskState } from './state.js';
import { StatementScreen } from './statement.js';
import { W } from './words.js';

/** The citizen's kiosk: the bar on top, the screen of the moment, and the announcements. */
export function KioskApp(props: { kiosk: KioskController; onSwitchLanguage(): void }) {
  const { kiosk } = props;
  const state = useFlow(kiosk.flow);
  const words = useWords();
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => kiosk.onKeyDown(event);
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [kiosk]);
  const { elderly, muted } = state.display;
  useEffect(() => {
    document.documentElement.dataset.display = elderly ? 'elderly' : 'standard';
  }, [elderly]);
  const status =
    state.connection === 'online'
      ? readerStatusText(words, state.readers)
      : words.t(state.connection === 'connecting' ? T.connecting : T.offline);
  return (
    <>
      <TopBar status={status} state={state.connection} onSwitchLanguage={props.onSwitchLanguage}>
        <button
          id="display-toggle"
          class="btn btn-bar"
          type="button"
          aria-label={words.t(elderly ? W.displayStandardLabel : W.displayElderlyLabel)}
          onClick={() => kiosk.toggleElderly()}
        >
          {words.t(elderly ? W.displayStandard : W.displayElderly)}
        </button>
        <button
          id="mute-toggle"
          class="btn btn-bar"
          type="button"
          aria-pressed={muted}
          onClick={() => kiosk.toggleMuted()}
        >
          {words.t(W.mute)}
        </button>
      </TopBar>
      <main id="screen" class="main">
        {/* A new screen replaces the old one whole, so nothing of it (a name, a number) lingers. */}
        <KioskScreen key={state.shown} kiosk={kiosk} state={state} />
      </main>
      <div id="announce" class="sr-only" aria-live="assertive">
        {state.announcement ? words.t(state.announcement) : ''}
      </div>
    </>
  );
}

function KioskScreen(props: { kiosk: KioskController; state: KioskState }) {
  const { kiosk, state } = props;
  const words = useWords();
  if (state.connection !== 'online') return <OfflineScreen everConnected={state.connection === 'offline'} />;
  const { view, visit } = state;
  const card = visit?.card;
  const finish = () => kiosk.finish();
  const back = () => kiosk.back();
  switch (view.name) {
    case 'idle':
      return <IdleScreen readers={state.readers} />;
    case 'reading':
      return <WaitScreen title={T.reading} />;
    case 'pin-starting':
      return <WaitScreen title={T.waitingForPin} />;
    case 'lost-sending':
      return <WaitScreen title={T.lostSending} />;
    case 'loading':
      return <WaitScreen title={view.title} />;
    case 'pension':
    case 'medical':
    case 'statement': {
      const summary = visit?.summary;
      if (!card || !summary) return <TakeCardScreen />;
      const toMenu = () => kiosk.show('menu');
      if (view.name === 'pension') return <PensionScreen summary={summary} onBack={toMenu} />;
      if (view.name === 'medical') return <MedicalScreen summary={summary} onBack={toMenu} />;
      return <StatementScreen card={card} summary={summary} onBack={toMenu} />;
    }
    case 'certify-confirm':
      return (
        <CertifyConfirmScreen
          certifiedUntil={visit?.summary?.pension?.certifiedUntil}
          onStart={() => kiosk.runService('certify')}
          onBack={() => kiosk.show('menu')}
        />
      );
    case 'certify-result':
      return <CertifyResultScreen result={view.result} onBack={() => kiosk.show('menu')} onFinish={finish} />;
    case 'service-problem':
      return (
        <Screen name="service-problem" title={words.t(view.title)} tone="bad">
          <ProblemText text={view.text} code={view.code} />
          <ThenFinish buttons={card ? [{ label: T.back, onClick: back }] : []} onFinish={finish} />
        </Screen>
      );
    case 'lost-confirm':
      return <LostConfirmScreen onConfirm={() => kiosk.confirmLost()} onBack={back} />;
    case 'lost-result':
      return <LostResultScreen result={view.result} onFinish={finish} />;
    case 'lost-problem':
      return (
        <LostProblemScreen
          text={view.text}
          code={view.code}
          onBack={card ? () => kiosk.show('menu') : undefined}
          onFinish={finish}
        />
      );
    case 'read-failed':
      return (
        <ReadFailedScreen
          text={view.text}
          code={view.code}
          onRetry={() => kiosk.retryRead()}
          onFinish={finish}
        />
      );
    case 'result':
      if (!card) return <TakeCardScreen />;
      return (
        <ResultScreen
          card={card}
          counter={counterText(kiosk.counter)}
          onServices={() => kiosk.openServices()}
          onFinish={finish}
        />
      );
    case 'details':
      if (!card) return <TakeCardScreen />;
      return <DetailsScreen card={card} onBack={() => kiosk.show('menu')} />;
    case 'menu': {
      if (!card) return <TakeCardScreen />;
      const pin = state.pinAvailable;
      const summary = visit?.summary;
      return (
        <MenuScreen
          onPension={summary ? () => kiosk.show('pension') : undefined}
          onMedical={summary ? () => kiosk.show('medical') : undefined}
          onCertify={summary?.pension && pin ? () => kiosk.show('certify-confirm') : undefined}
          onStatement={summary ? () => kiosk.show('statement') : undefined}
          onViewCard={() => kiosk.show('details')}
          onChangePin={pin && visit?.verified ? () => kiosk.startPin('change') : undefined}
          // A loss report needs the PIN: not offered where the terminal takes none.
          onReportLost={
            pin && !visit?.reported && canReportLost(card.registry) && isGenuine(card)
              ? () => kiosk.show('lost-confirm')
              : undefined
          }
          onFinish={finish}
        />
      );
    }
    case 'pin':
      return (
        <PinScreen
          prompt={view.prompt}
          entered={view.entered}
          digits={view.digits}
          waiting={view.waiting}
          onKey={(key) => kiosk.pressKey(key)}
          onCancel={() => kiosk.cancelPin()}
        />
      );
    case 'pin-outcome': {
      const { result } = view;
      const toMenu = visit?.verified ? () => kiosk.show('menu') : undefined;
      // Locked, or the last try used up: only the counter can help now.
      const locked = !result.ok && (result.outcome === 'locked' || result.triesLeft === 0);
      return (
        <PinOutcomeScreen
          result={result}
          counter={locked ? counterText(kiosk.counter) : undefined}
          onRetry={
            result.ok || locked
              ? undefined
              : view.retry
                ? () => kiosk.runService(view.retry!)
                : () => kiosk.startPin(result.operation)
          }
          onContinue={locked ? undefined : toMenu}
          onFinish={finish}
        />
      );
    }
    case 'pin-problem':
      return (
        <PinProblemScreen
          text={view.text}
          code={view.code}
          onContinue={card ? back : undefined}
          onFinish={finish}
        />
      );
    case 'take-card':
      return <TakeCardScreen />;
    case 'more-time':
      return <MoreTimeScreen onMoreTime={() => kiosk.moreTime()} />;
  }
}
