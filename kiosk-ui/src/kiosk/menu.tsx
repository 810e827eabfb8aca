import { Button } from '../components/button.js';
import { useWords } from '../components/language.js';
import { Screen } from '../components/screen.js';
import { T } from '../i18n.js';
import { W } from './words.js';

export interface MenuProps {
  onViewCard(): void;
  /** The services on the holder's accounts: absent where card-service did not open them. */
  onPension?: (() => void) | undefined;
  onMedical?: (() => void) | undefined;
  onCertify?: (() => void) | undefined;
  onStatement?: (() => void) | undefined;
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
        {props.onPension && <Button onClick={props.onPension}>{t(W.pension)}</Button>}
        {props.onMedical && <Button onClick={props.onMedical}>{t(W.medical)}</Button>}
        {props.onCertify && <Button onClick={props.onCertify}>{t(W.certify)}</Button>}
        {props.onStatement && <Button onClick={props.onStatement}>{t(W.statement)}</Button>}
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
