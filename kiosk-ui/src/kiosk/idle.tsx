import { useWords, type Words } from '../components/language.js';
import { Lead, Screen, Spinner } from '../components/screen.js';
import { fill, T } from '../i18n.js';
import type { ReaderState } from '../protocol.js';
import { userReaders } from './readers.js';

export function readerStatusText(words: Words, readers: readonly ReaderState[]): string {
  const count = userReaders(readers).length;
  if (count === 0) return words.t(T.noReader);
  if (count === 1) return words.t(T.readerReady);
  return words.t(fill(T.readersReady, { n: count }));
}

/** A drawing of the card going into the slot (or coming out of it). */
export function CardSlot(props: { out?: boolean }) {
  return (
    <div class={`card-slot-illustration${props.out ? ' out' : ''}`} aria-hidden="true">
      <div class="chip" />
    </div>
  );
}

export function IdleScreen(props: { readers: readonly ReaderState[] }) {
  const words = useWords();
  const { t } = words;
  const count = userReaders(props.readers).length;
  return (
    <Screen name="idle" title={t(T.insertCard)}>
      <CardSlot />
      <Lead>{t(T.insertCardHint)}</Lead>
      <p class={`reader-state ${count > 0 ? 'reader-ok' : 'reader-missing'}`} data-readers={String(count)}>
        {readerStatusText(words, props.readers)}
      </p>
    </Screen>
  );
}

export function OfflineScreen(props: { everConnected: boolean }) {
  const { t } = useWords();
  return (
    <Screen
      name="offline"
      title={t(props.everConnected ? T.offline : T.connecting)}
      tone={props.everConnected ? 'bad' : 'normal'}
    >
      <Spinner />
      {props.everConnected && <Lead>{t(T.offlineHint)}</Lead>}
    </Screen>
  );
}
