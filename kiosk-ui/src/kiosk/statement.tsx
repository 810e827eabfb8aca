import { Actions, Button } from '../components/button.js';
import { Fields } from '../components/fields.js';
import { useWords } from '../components/language.js';
import { Screen } from '../components/screen.js';
import { T } from '../i18n.js';
import type { CardReadView, CitizenSummaryView } from '../protocol.js';
import { chinaDay } from './lost.js';
import { MedicalMonths, SettlementsTable } from './medical.js';
import { money, PaymentsTable, PensionFacts } from './pension.js';
import { W } from './words.js';

/**
 * The statement: everything the summary holds on one page, to read on screen or to print (the
 * print style sheet leaves out the kiosk's bar and buttons and sets it for A4 paper).
 */
export function StatementScreen(props: { card: CardReadView; summary: CitizenSummaryView; onBack(): void }) {
  const { t } = useWords();
  const { summary, card } = props;
  const day = chinaDay(summary.asOf);
  return (
    <Screen name="statement" title={t(W.statementTitle)}>
      <Fields
        rows={[
          [T.name, card.info.name + (card.info.nameExt ?? '')],
          [T.cardNumber, summary.cardNumber],
          [W.statementDate, day ? t(day) : summary.asOf],
        ]}
      />
      <section class="statement-part" aria-labelledby="statement-pension">
        <h2 id="statement-pension">{t(W.pension)}</h2>
        {summary.pension ? (
          <>
            <PensionFacts pension={summary.pension} />
            <PaymentsTable pension={summary.pension} />
          </>
        ) : (
          <p class="lead">{t(W.noPension)}</p>
        )}
      </section>
      <section class="statement-part" aria-labelledby="statement-medical">
        <h2 id="statement-medical">{t(W.medical)}</h2>
        <Fields rows={[[W.balance, t(money(summary.medical.balance))]]} />
        <MedicalMonths medical={summary.medical} />
        <SettlementsTable medical={summary.medical} />
      </section>
      <Actions>
        <Button onClick={() => window.print()}>{t(W.print)}</Button>
        <Button onClick={props.onBack} variant="secondary">
          {t(T.back)}
        </Button>
      </Actions>
    </Screen>
  );
}
