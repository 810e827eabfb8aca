import { Button } from '../components/button.js';
import { useWords } from '../components/language.js';
import { Screen } from '../components/screen.js';
import { T } from '../i18n.js';

export interface MenuProps {
  onViewCard(): void;
  /** Absent when the terminal takes no PINs. */
  onChangePin?: (() => void) | undefined;
  /** Absent when the registry does not know the card in force (already lost, no registry). */
  onReportLost?: (() => void) | undefined;
  onFinish(): void;
}

/** The services a kiosk offers after a card was read and its PIN verified. */
export function MenuScreen(props: MenuProps) {
  const { t } = useWords();
  return (
    <Screen name="menu" title={t(T.servicesTitle)}>
      <div class="menu">
        <Button onClick={props.onViewCard}>{t(T.viewCard)}</Button>
        {props.onChangePin && <Button onClick={props.onChangePin}>{t(T.changePin)}</Button>}
        {props.onReportLost && <Button onClick={props.onReportLost}>{t(T.reportLost)}</Button>}
        <Button onClick={props.onFinish} variant="secondary">
          {t(T.finish)}
        </Button>
      </div>
    </Screen>
  );
}
