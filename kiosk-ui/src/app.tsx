import { useState } from 'preact/hooks';
import type { AgentSocket } from './connection.js';
import { LanguageProvider } from './components/language.js';
import type { Language } from './i18n.js';
import type { InactivityDelays } from './inactivity.js';
import { KioskController } from './kiosk/controller.js';
import { KioskApp } from './kiosk/kiosk-app.js';

export interface AppOptions {
  socket: AgentSocket;
  language: Language;
  shuffleKeypad: boolean;
  inactivity?: InactivityDelays;
}

/** The page: the language every screen speaks, and the terminal's mode (the citizen's kiosk). */
export function App(props: { options: AppOptions }) {
  const { options } = props;
  const kiosk = useKiosk(options);
  return (
    <LanguageProvider language={options.language}>
      <KioskApp kiosk={kiosk} onSwitchLanguage={() => options.language.toggle()} />
    </LanguageProvider>
  );
}

/** One controller for the app's life: it listens on the socket from its first render on. */
function useKiosk(options: AppOptions): KioskController {
  const [kiosk] = useState(() => new KioskController(options));
  return kiosk;
}
