import { Actions, Button } from '../components/button.js';
import { Fields } from '../components/fields.js';
import { useWords } from '../components/language.js';
import { Lead, Screen } from '../components/screen.js';
import { formatDate } from '../format.js';
import { fill, T, type Text } from '../i18n.js';
import { yuan } from '../money.js';
import type { CitizenSummaryView } from '../protocol.js';
import { chinaDay } from './lost.js';
import { W } from './words.js';

export const money = (fen: number): Text => fill(W.yuan, { amount: yuan(fen) });

/** `2027-01-09` → 2027年1月9日 / 2027-01-09. */
export const isoDay = (date: string): Text => formatDate(date.replaceAll('-', ''));

/** `2026-11` → 2026年11月 / 2026-11. */
export const monthText = (month: string): Text => ({
  zh: `${month.slice(0, 4)}年${Number(month.slice(5, 7))}月`,
  en: month,
});

const STATUS: Record<string, Text> = {
  active: W.statusActive,
  suspended: W.statusSuspended,
  stopped: W.statusStopped,
};

type Pension = NonNullable<CitizenSummaryView['pension']>;

/** The pension's figures: what comes each month, this year's total, when to certify next. */
export function PensionFacts(props: { pension: Pension }) {
  const { t } = useWords();
  const p = props.pension;
  return (
    <Fields
      rows={[
        [W.monthlyAmount, t(money(p.monthlyAmount))],
        [W.yearTotal, t(money(p.yearTotal))],
        [W.pensionStatus, t(STATUS[p.status] ?? { zh: p.status, en: p.status })],
        [W.certifiedUntil, t(isoDay(p.certifiedUntil))],
      ]}
    />
  );
}

export function PaymentsTable(props: { pension: Pension }) {
  const { t } = useWords();
  if (props.pension.payments.length === 0) return <Lead>{t(W.noPayments)}</Lead>;
  return (
    <table class="records" data-table="payments">
      <caption>{t(W.paymentsTitle)}</caption>
      <thead>
        <tr>
          <th scope="col">{t(W.month)}</th>
          <th scope="col">{t(W.amount)}</th>
          <th scope="col">{t(W.paidOn)}</th>
        </tr>
      </thead>
      <tbody>
        {props.pension.payments.map((p) => {
          const day = chinaDay(p.paidAt);
          return (
            <tr key={p.txnId}>
              <td>{t(monthText(p.month))}</td>
              <td class="num">{t(money(p.amount))}</td>
              <td>{day ? t(day) : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** "My pension payments": the figures, then the latest payments. */
export function PensionScreen(props: { summary: CitizenSummaryView; onBack(): void }) {
  const { t } = useWords();
  const { pension } = props.summary;
  return (
    <Screen name="pension" title={t(W.pension)}>
      {pension ? (
        <>
          <PensionFacts pension={pension} />
          <PaymentsTable pension={pension} />
        </>
      ) : (
        <Lead>{t(W.noPension)}</Lead>
      )}
      <Actions>
        <Button onClick={props.onBack}>{t(T.back)}</Button>
      </Actions>
    </Screen>
  );
}
