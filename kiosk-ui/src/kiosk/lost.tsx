import { Actions, Button } from '../components/button.js';
import { useWords } from '../components/language.js';
import { ProblemText } from '../components/problem.js';
import { Lead, Note, Screen } from '../components/screen.js';
import { formatDate } from '../format.js';
import { fill, T, type Text } from '../i18n.js';
import type { LostCardReportView } from '../protocol.js';
import { ThenFinish } from './messages.js';

/** Before anything is sent: what a temporary loss means, and a way back. */
export function LostConfirmScreen(props: { onConfirm(): void; onBack(): void }) {
  const { t } = useWords();
  return (
    <Screen name="lost-confirm" title={t(T.lostConfirmTitle)}>
      <Lead>{t(T.lostConfirmText)}</Lead>
      <Actions>
        <Button onClick={props.onConfirm}>{t(T.lostConfirm)}</Button>
        <Button onClick={props.onBack} variant="secondary">
          {t(T.back)}
        </Button>
      </Actions>
    </Screen>
  );
}

/** `2025-03-08T02:00:00.000Z` → the calendar day in China, as the rest of the kiosk writes dates. */
export function chinaDay(iso: string): Text | undefined {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return undefined;
  const day = new Date(at + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '');
  return formatDate(day);
}

/**
 * The outcome: reported (the card is stopped now) or queued (no answer yet: re-sent until the
 * service answers, but it takes effect only while its card proof is fresh, so staff confirm it).
 */
export function LostResultScreen(props: { result: LostCardReportView; onFinish(): void }) {
  const { t } = useWords();
  const { result } = props;
  const reported = result.status === 'reported';
  const until = reported && result.temporaryLossUntil ? chinaDay(result.temporaryLossUntil) : undefined;
  return (
    <Screen
      name="lost-result"
      title={t(reported ? T.lostReported : T.lostQueued)}
      tone={reported ? 'good' : 'normal'}
      data={{ status: result.status }}
    >
      {until && <Lead>{t(fill(T.lostUntil, { date: t(until) }))}</Lead>}
      {!reported && <Lead>{t(T.lostQueuedHint)}</Lead>}
      <Note>
        {t(T.lostReference)}: {result.reference}
      </Note>
      <Actions>
        <Button onClick={props.onFinish}>{t(T.finish)}</Button>
      </Actions>
    </Screen>
  );
}

export function LostProblemScreen(props: {
  text: Text;
  code: string;
  onBack?: (() => void) | undefined;
  onFinish(): void;
}) {
  const { t } = useWords();
  const buttons = props.onBack ? [{ label: T.back, onClick: props.onBack }] : [];
  return (
    <Screen name="lost-problem" title={t(T.lostFailed)} tone="bad">
      <ProblemText text={props.text} code={props.code} />
      <ThenFinish buttons={buttons} onFinish={props.onFinish} />
    </Screen>
  );
}
