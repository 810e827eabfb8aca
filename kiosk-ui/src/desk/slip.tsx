import { useWords } from '../components/language.js';
import { type SlipRow, SlipRows } from '../counter/outcome.js';
import { chinaTime } from '../counter/time.js';
import type { Text } from '../i18n.js';
import { yuan } from '../money.js';
import type { Breakdown, CardReadView, DeskSettlementView, TerminalView, Visit } from '../protocol.js';
import { D } from './words.js';

/** The breakdown in the order of the national interface's slip: where the money came from, then who pays it. */
const COSTS = [
  'medfee_sumamt',
  'fulamt_ownpay_amt',
  'overlmt_selfpay',
  'preselfpay_amt',
  'inscp_scp_amt',
] as const;
const PAYS = [
  'act_pay_dedc',
  'hifp_pay',
  'hifmi_pay',
  'fund_pay_sumamt',
  'psn_part_amt',
  'acct_pay',
  'psn_cash_pay',
  'balc',
] as const;

export const schemeName = (scheme: string): Text =>
  scheme === '310' ? D.scheme310 : scheme === '390' ? D.scheme390 : { zh: scheme, en: scheme };

export interface SlipProps {
  terminal: TerminalView;
  visit: Visit;
  card: CardReadView | undefined;
  breakdown: Breakdown;
  /** The settlement, once settled: without it the slip is the pre-settlement preview. */
  result: DeskSettlementView | undefined;
}

/**
 * The settlement slip: the pre-settlement's breakdown shown to the patient before the PIN, and
 * after the settle the slip that is printed (the print style sheet prints this alone).
 */
export function Slip(props: SlipProps) {
  const { t } = useWords();
  const { terminal, visit, breakdown, result } = props;
  const settlement = result?.settlement;
  const rows: SlipRow[] = [
    [
      D.institution,
      terminal.institution
        ? `${terminal.institution.name} (${terminal.institution.institutionId})`
        : visit.institutionId,
    ],
    [D.hisVisitNo, visit.hisVisitNo],
    [D.visitType, t(visit.visitType === 'inpatient' ? D.inpatient : D.outpatient)],
    [D.scheme, t(schemeName(visit.scheme))],
    [{ zh: '姓名', en: 'Name' }, props.card?.info.name ?? ''],
    [{ zh: '社会保障卡号', en: 'Card number' }, props.card?.info.cardNumber ?? visit.cardNumber],
  ];
  if (settlement && result) {
    rows.push([D.settlementId, settlement.settlementId], [D.settledAt, chinaTime(settlement.settledAt)]);
    rows.push([D.attemptKey, result.attemptKey]);
  }
  const amount = (field: (typeof COSTS)[number] | (typeof PAYS)[number]) => (
    <div class="slip-amount" key={field} data-field={field}>
      <dt>{t(D[field])}</dt>
      <dd>{yuan(breakdown[field])}</dd>
    </div>
  );
  return (
    <article
      class={`slip${settlement ? ' slip-final' : ' slip-preview'}`}
      id="slip"
      data-screen={settlement ? 'slip' : 'pre-slip'}
      aria-labelledby="slip-title"
    >
      <h2 id="slip-title">{t(settlement ? D.slip : D.preSlip)}</h2>
      <SlipRows rows={rows} />
      <div class="slip-money">
        <dl>{COSTS.map(amount)}</dl>
        <dl>{PAYS.map(amount)}</dl>
      </div>
      <p class="slip-unit">{t({ zh: '金额单位：元', en: 'Amounts in CNY' })}</p>
      {settlement && (
        <p class="slip-sign">
          {t(D.signature)}: <span class="slip-line" />
        </p>
      )}
    </article>
  );
}
