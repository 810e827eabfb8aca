import { Actions, Button } from '../components/button.js';
import { useWords } from '../components/language.js';
import { ProblemText } from '../components/problem.js';
import { Lead, Screen, Spinner } from '../components/screen.js';
import { T, type Text } from '../i18n.js';
import { CardSlot } from './idle.js';

/** A wait the agent is working through (a card read, a PIN entry being set up, a report). */
export function WaitScreen(props: { title: Text }) {
  const { t } = useWords();
  return (
    <Screen name="reading" title={t(props.title)}>
      <Spinner />
      <Lead>{t(T.readingHint)}</Lead>
    </Screen>
  );
}

export function ReadFailedScreen(props: { text: Text; code: string; onRetry(): void; onFinish(): void }) {
  const { t } = useWords();
  return (
    <Screen name="read-failed" title={t(T.readFailed)} tone="bad">
      <ProblemText text={props.text} code={props.code} />
      <Actions>
        <Button onClick={props.onRetry}>{t(T.readAgain)}</Button>
        <Button onClick={props.onFinish} variant="secondary">
          {t(T.finish)}
        </Button>
      </Actions>
    </Screen>
  );
}

export function TakeCardScreen() {
  const { t } = useWords();
  return (
    <Screen name="take-card" title={t(T.takeCard)}>
      <CardSlot out />
      <Lead>{t(T.takeCardHint)}</Lead>
    </Screen>
  );
}

export function MoreTimeScreen(props: { onMoreTime(): void }) {
  const { t } = useWords();
  return (
    <Screen name="more-time" title={t(T.moreTime)}>
      <Lead>{t(T.moreTimeHint)}</Lead>
      <Actions>
        <Button onClick={props.onMoreTime}>{t(T.moreTimeYes)}</Button>
      </Actions>
    </Screen>
  );
}

/** The screen's own buttons, then Finish: the main action when it is the only one. */
export function ThenFinish(props: { buttons: { label: Text; onClick(): void }[]; onFinish(): void }) {
  const { t } = useWords();
  return (
    <Actions>
      {props.buttons.map((b) => (
        <Button key={b.label.en} onClick={b.onClick}>
          {t(b.label)}
        </Button>
      ))}
      <Button onClick={props.onFinish} variant={props.buttons.length > 0 ? 'secondary' : 'primary'}>
        {t(T.finish)}
      </Button>
    </Actions>
  );
}
