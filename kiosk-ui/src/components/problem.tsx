import { T, type Text } from '../i18n.js';
import { useWords } from './language.js';
import { Lead, Note } from './screen.js';

/** The code a member of staff looks up when a citizen asks about a refusal. */
export function StaffCode(props: { code: string }) {
  const { t } = useWords();
  return (
    <Note>
      {t(T.staffCode)}: {props.code}
    </Note>
  );
}

/**
 * A refusal as the citizen reads it: what happened and what to do next in words, and the code
 * for staff underneath, never a code alone.
 */
export function ProblemText(props: { text: Text; code: string }) {
  const { t } = useWords();
  return (
    <>
      <Lead>{t(props.text)}</Lead>
      <StaffCode code={props.code} />
    </>
  );
}
