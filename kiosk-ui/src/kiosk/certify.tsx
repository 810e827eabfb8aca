import { Actions, Button } from '../components/button.js';
import { useWords } from '../components/language.js';
import { Lead, Note, Screen } from '../components/screen.js';
import { fill, T } from '../i18n.js';
import type { PensionCertificationView } from '../protocol.js';
import { isoDay } from './pension.js';
import { W } from './words.js';

/** Before the PIN: what the certification is, and when the current one runs out. */
export function CertifyConfirmScreen(props: {
  certifiedUntil?: string | undefined;
  onStart(): void;
  onBack(): void;
}) {
  const { t } = useWords();
  return (
    <Screen name="certify-confirm" title={t(W.certifyTitle)}>
      <Lead>{t(W.certifyText)}</Lead>
      {props.certifiedUntil && <Lead>{t(fill(W.nextDue, { date: t(isoDay(props.certifiedUntil)) }))}</Lead>}
      <Actions>
        <Button onClick={props.onStart}>{t(W.certifyStart)}</Button>
        <Button onClick={props.onBack} variant="secondary">
          {t(T.back)}
        </Button>
      </Actions>
    </Screen>
  );
}

/** Done (with the next due date), or sent and not yet confirmed. */
export function CertifyResultScreen(props: {
  result: PensionCertificationView;
  onBack(): void;
  onFinish(): void;
}) {
  const { t } = useWords();
  const { result } = props;
  const done = result.status === 'certified';
  return (
    <Screen
      name="certify-result"
      title={t(done ? W.certified : W.certifyFailed)}
      tone={done ? 'good' : 'normal'}
      data={{ status: result.status }}
    >
      {result.status === 'certified' ? (
        <Lead>{t(fill(W.nextDue, { date: t(isoDay(result.validUntil)) }))}</Lead>
      ) : (
        <Lead>{t(W.certifyQueued)}</Lead>
      )}
      <Note>
        {t(T.lostReference)}: {result.reference}
      </Note>
      <Actions>
        <Button onClick={props.onBack}>{t(T.back)}</Button>
        <Button onClick={props.onFinish} variant="secondary">
          {t(T.finish)}
        </Button>
      </Actions>
    </Screen>
  );
}
