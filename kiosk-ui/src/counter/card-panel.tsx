import { useWords } from '../components/language.js';
import type { Text } from '../i18n.js';
import type { CardReadView } from '../protocol.js';
import type { CardSlot } from './card-watch.js';
import { refusalText } from './problem.js';
import { C } from './words.js';

/** The cardholder as the agent sent them (masked or not, the terminal's setting), in one line. */
export function HolderLine(props: { card: CardReadView }) {
  const { t } = useWords();
  const { info, verification, registry } = props.card;
  const check: Text = !verification ? C.notChecked : verification.genuine ? C.genuine : C.notGenuine;
  const reg: Text =
    registry.status === 'valid'
      ? C.registryValid
      : registry.status === 'invalid'
        ? C.registryRefused
        : C.registryUnknown;
  return (
    <dl class="holder" data-card-number={info.cardNumber}>
      <div>
        <dt>{t(C.name)}</dt>
        <dd data-field="name">{info.name}</dd>
      </div>
      <div>
        <dt>{t(C.cardNumber)}</dt>
        <dd data-field="card-number">{info.cardNumber}</dd>
      </div>
      <div>
        <dt>{t(C.ssn)}</dt>
        <dd data-field="ssn">{info.ssn}</dd>
      </div>
      <div>
        <dt>{t(C.cardCheck)}</dt>
        <dd data-field="check" class={verification && !verification.genuine ? 'bad' : ''}>
          {t(check)}
        </dd>
      </div>
      <div>
        <dt>{t(C.registry)}</dt>
        <dd data-field="registry" class={registry.status === 'invalid' ? 'bad' : ''}>
          {t(reg)}
        </dd>
      </div>
    </dl>
  );
}

/** Waiting for a card, reading it, or why it could not be read. */
export function CardWaitPanel(props: { card: CardSlot; onReadAgain(): void }) {
  const { t } = useWords();
  const { card } = props;
  if (card.state === 'failed') {
    return (
      <section class="panel" data-screen="card-failed" aria-labelledby="card-title">
        <h1 id="card-title" class="bad">
          {t(C.readFailed)}
        </h1>
        <p>{t(refusalText(card.problem))}</p>
        <p class="code">
          {t(C.code)}: {card.problem.code}
        </p>
        <button type="button" class="cbtn primary" onClick={props.onReadAgain}>
          {t(C.readAgain)}
        </button>
      </section>
    );
  }
  return (
    <section
      class="panel"
      data-screen={card.state === 'reading' ? 'reading' : 'card'}
      aria-labelledby="card-title"
    >
      <h1 id="card-title">{t(card.state === 'reading' ? C.reading : C.insertCard)}</h1>
    </section>
  );
}

/** A refusal for staff: the meaning in words and the code for support. */
export function RefusalNote(props: { text: Text; code: string }) {
  const { t } = useWords();
  return (
    <div class="refusal" role="alert">
      <p>{t(props.text)}</p>
      <p class="code">
        {t(C.code)}: {props.code}
      </p>
    </div>
  );
}
