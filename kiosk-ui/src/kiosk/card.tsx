import { Actions, Button } from '../components/button.js';
import { Fields } from '../components/fields.js';
import { useWords } from '../components/language.js';
import { Lead, Note, Screen } from '../components/screen.js';
import {
  checkName,
  formatDate,
  formatExpiry,
  formatGender,
  formatGeneration,
  formatValidity,
  registryText,
} from '../format.js';
import { T, type Text } from '../i18n.js';
import type { CardReadView, RegistryView, VerificationView } from '../protocol.js';

function holderName(card: CardReadView): string {
  return card.info.name + (card.info.nameExt ?? '');
}

export function isGenuine(card: CardReadView): boolean {
  // A terminal that checked nothing makes no claim; only a failed check stops the services.
  return card.verification?.genuine !== false;
}

function Mark(props: { mark: string }) {
  return (
    <span class="verdict-mark" aria-hidden="true">
      {props.mark}
    </span>
  );
}

/** The verification outcome in plain words, naming each check that failed. */
export function Verification(props: { verification: VerificationView | null }) {
  const { t } = useWords();
  const v = props.verification;
  if (!v) {
    return (
      <div class="verdict verdict-none" data-verdict="none">
        {t(T.notVerified)}
      </div>
    );
  }
  if (v.genuine) {
    return (
      <div class="verdict verdict-good" data-verdict="genuine">
        <Mark mark="✓" />
        {t(T.genuine)}
      </div>
    );
  }
  return (
    <div class="verdict verdict-bad" data-verdict="not-genuine">
      <p>
        <Mark mark="✗" />
        {t(T.notGenuine)}
      </p>
      <ul class="failed-checks">
        {v.failed.map((f) => (
          <li key={f.check} data-check={f.check}>
            {t(T.failedCheck)}：{t(checkName(f.check))}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** What the social security system said about the card, in plain words; nothing when it was not asked. */
export function RegistryVerdict(props: { registry: RegistryView; counter?: Text | undefined }) {
  const { t } = useWords();
  const { registry } = props;
  const text = registryText(registry);
  if (!text) return null;
  const tone = registry.status === 'valid' ? 'good' : registry.status === 'invalid' ? 'bad' : 'none';
  const mark = registry.status === 'valid' ? '✓' : registry.status === 'invalid' ? '✗' : undefined;
  return (
    <div class={`verdict verdict-${tone}`} data-registry={registry.status} data-reason={registry.reason}>
      <p>
        {mark && <Mark mark={mark} />}
        {t(text)}
      </p>
      {registry.status === 'invalid' && <p>{t(props.counter ?? T.registryInvalidHint)}</p>}
    </div>
  );
}

/** Right after a read: who the card belongs to, what card it is, and whether it is genuine. */
export function ResultScreen(props: {
  card: CardReadView;
  /** Where to go when the social security system refused the card. */
  counter?: Text | undefined;
  onServices(): void;
  onFinish(): void;
}) {
  const { t } = useWords();
  const { card } = props;
  const genuine = isGenuine(card);
  return (
    <Screen name="result" title={t(T.cardRead)} tone={genuine ? 'normal' : 'bad'}>
      <Fields
        rows={[
          [T.name, holderName(card)],
          [T.cardNumber, card.info.cardNumber],
          [T.generation, t(formatGeneration(card.info))],
          [T.validity, t(formatValidity(card.info))],
        ]}
      />
      <Verification verification={card.verification} />
      {genuine && <RegistryVerdict registry={card.registry} counter={props.counter} />}
      {!genuine && <Lead>{t(T.notGenuineHint)}</Lead>}
      {card.masked && <Note>{t(T.maskedNote)}</Note>}
      <Actions>
        {genuine && <Button onClick={props.onServices}>{t(T.toServices)}</Button>}
        <Button onClick={props.onFinish} variant={genuine ? 'secondary' : 'primary'}>
          {t(T.finish)}
        </Button>
      </Actions>
    </Screen>
  );
}

/** "View my card information": every field the agent sent, as it sent it. */
export function DetailsScreen(props: { card: CardReadView; onBack(): void }) {
  const { t } = useWords();
  const { card } = props;
  const gender = formatGender(card.info.gender);
  return (
    <Screen name="details" title={t(T.viewCard)}>
      <Fields
        rows={[
          [T.name, holderName(card)],
          [T.gender, gender ? t(gender) : undefined],
          [T.ssn, card.info.ssn],
          [T.cardNumber, card.info.cardNumber],
          [T.generation, t(formatGeneration(card.info))],
          [T.issueDate, t(formatDate(card.info.issueDate))],
          [T.expiryDate, t(formatExpiry(card.info.expiryDate))],
        ]}
      />
      <Verification verification={card.verification} />
      {card.masked && <Note>{t(T.maskedNote)}</Note>}
      <Actions>
        <Button onClick={props.onBack}>{t(T.back)}</Button>
      </Actions>
    </Screen>
  );
}
