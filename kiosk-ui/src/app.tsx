import { useState } from 'preact/hooks';
import { BankApp } from './bank/bank-app.js';
import { BureauApp } from './bureau/bureau-app.js';
import type { AgentSocket } from './connection.js';
import { LanguageProvider, useWords } from './components/language.js';
import { DeskApp } from './desk/desk-app.js';
import { T, type Language } from './i18n.js';
import type { InactivityDelays } from './inactivity.js';
import { KioskController } from './kiosk/controller.js';
import { KioskApp } from './kiosk/kiosk-app.js';
import { useTerminal } from './terminal.js';

export interface AppOptions {
  /** Opens the socket to the agent: once the page knows its mode, so no event is missed. */
  connect(): AgentSocket;
  language: Language;
  shuffleKeypad: boolean;
  inactivity?: InactivityDelays;
  /** The staff counter a kiosk sends citizens to, when the hall names one. */
  counter?: string | undefined;
  /** A bureau counter: how long its signed-in clerk may leave the screen untouched. */
  clerkIdleMs?: number | undefined;
}

/**
 * The page: the language every screen speaks, and the terminal's mode as the agent names it —
 * the citizen's kiosk, a hospital or pharmacy desk, a bank counter, or a bureau counter. A kiosk never has the
 * desk's or the counter's screens (and the agent refuses their calls there whatever a page does).
 */
export function App(props: { options: AppOptions }) {
  const { options } = props;
  const terminal = useTerminal();
  const onSwitchLanguage = () => options.language.toggle();
  return (
    <LanguageProvider language={options.language}>
      {!terminal ? (
        <Starting />
      ) : terminal.mode === 'desk' ? (
        <DeskApp socket={agentSocket(options)} terminal={terminal} onSwitchLanguage={onSwitchLanguage} />
      ) : terminal.mode === 'bank' ? (
        <BankApp socket={agentSocket(options)} terminal={terminal} onSwitchLanguage={onSwitchLanguage} />
      ) : terminal.mode === 'bureau' ? (
        <BureauApp
          socket={agentSocket(options)}
          terminal={terminal}
          clerkIdleMs={options.clerkIdleMs}
          onSwitchLanguage={onSwitchLanguage}
        />
      ) : (
        <KioskMode options={options} />
      )}
    </LanguageProvider>
  );
}

function KioskMode(props: { options: AppOptions }) {
  const { options } = props;
  const kiosk = useKiosk(options);
  return <KioskApp kiosk={kiosk} onSwitchLanguage={() => options.language.toggle()} />;
}

/** Before the agent said what this terminal is. */
function Starting() {
  const { t } = useWords();
  return (
    <main id="screen" class="main">
      <section class="screen" data-screen="starting" aria-labelledby="starting-title">
        <h1 id="starting-title" class="screen-title">
          {t(T.connecting)}
        </h1>
      </section>
    </main>
  );
}

/** One socket for the page's life, opened on first use. */
let socket: AgentSocket | undefined;
function agentSocket(options: AppOptions): AgentSocket {
  socket ??= options.connect();
  return socket;
}

/** One controller for the app's life: it listens on the socket from its first render on. */
function useKiosk(options: AppOptions): KioskController {
  const [kiosk] = useState(() => new KioskController({ ...options, socket: agentSocket(options) }));
  return kiosk;
}
