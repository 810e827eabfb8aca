import { Actions, Button } from '../components/button.js';
import { Fields } from '../components/fields.js';
import { useWords } from '../components/language.js';
import { Lead, Screen } from '../components/screen.js';
import { fill, T } from '../i18n.js';
import { yuan } from '../money.js';
import type { CitizenSummaryView } from '../protocol.js';
import { MonthChart } from './chart.js';
import { isoDay, money } from './pension.js';
import { W } from './words.js';

type Medical = CitizenSummaryView['medical'];

/** The twelve months in one sentence: what the chart shows, for those who do not see it. */
function monthsInWords(medical: Medical) {
  const count = medical.months.reduce((n, m) => n + m.settlements, 0);
  const total = medical.months.reduce((n, m) => n + m.total, 0);
  const account = medical.months.reduce((n, m) => n + m.accountPaid, 0);
  return fill(W.chartSummary, { count, total: yuan(total), account: yuan(account) });
}

export function MedicalMonths(props: { medical: Medical }) {
  const { lang, t } = useWords();
  const words = t(monthsInWords(props.medical));
  return (
    <figure class="chart-figure">
      <figcaption>{t(W.chartTitle)}</figcaption>
      <MonthChart
        bars={props.medical.months.map((m) => ({ month: m.month, value: m.total }))}
        label={words}
        lang={lang}
      />
      <p class="note">{words}</p>
    </figure>
  );
}

export function SettlementsTable(props: { medical: Medical }) {
  const { t } = useWords();
  if (props.medical.recent.length === 0) return <Lead>{t(W.noSettlements)}</Lead>;
  return (
    <table class="records" data-table="settlements">
      <caption>{t(W.settlementsTitle)}</caption>
      <thead>
        <tr>
          <th scope="col">{t(W.date)}</th>
          <th scope="col">{t(W.institution)}</th>
          <th scope="col">{t(W.total)}</th>
          <th scope="col">{t(W.fundPaid)}</th>
          <th scope="col">{t(W.accountPaid)}</th>
          <th scope="col">{t(W.cashPaid)}</th>
        </tr>
      </thead>
      <tbody>
        {props.medical.recent.map((s) => (
          <tr key={s.settledAt} data-status={s.status}>
            <td>
              {t(isoDay(s.businessDate))}
              {s.status !== 'settled' && ` (${t(W.cancelled)})`}
            </td>
            <td>{s.institution}</td>
            <td class="num">{yuan(s.total)}</td>
            <td class="num">{yuan(s.fundPaid)}</td>
            <td class="num">{yuan(s.accountPaid)}</td>
            <td class="num">{yuan(s.cashPaid)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "My medical account": the balance, the last twelve months as a chart, the latest settlements. */
export function MedicalScreen(props: { summary: CitizenSummaryView; onBack(): void }) {
  const { t } = useWords();
  const { medical } = props.summary;
  return (
    <Screen name="medical" title={t(W.medical)}>
      <Fields rows={[[W.balance, t(money(medical.balance))]]} />
      <MedicalMonths medical={medical} />
      <SettlementsTable medical={medical} />
      <Actions>
        <Button onClick={props.onBack}>{t(T.back)}</Button>
      </Actions>
    </Screen>
  );
}
