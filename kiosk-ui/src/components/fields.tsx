import { T, type Text } from '../i18n.js';
import { useWords } from './language.js';

export type Row = [label: Text, value: string | undefined];

/** Label on the left, value on the right, one per line; an empty value says it was not given. */
export function Fields(props: { rows: Row[] }) {
  const { t } = useWords();
  return (
    <dl class="fields">
      {props.rows.map(([label, value]) => {
        const empty = value === undefined || value === '';
        return (
          <div class="field" key={label.en}>
            <dt>{t(label)}</dt>
            <dd class={empty ? 'empty' : ''}>{empty ? t(T.notReleased) : value}</dd>
          </div>
        );
      })}
    </dl>
  );
}
