import type { Refusal } from '../agent-rest.js';
import { COUNTER_START, type CounterState } from '../counter/state.js';
import type { Text } from '../i18n.js';
import type {
  DeskDayView,
  DeskPendingView,
  DeskReconciliationView,
  DeskSettlementView,
  DeskVisitRequest,
  PinPrompt,
  Quote,
  Visit,
} from '../protocol.js';

export type DeskTab = 'settle' | 'day' | 'pending' | 'reconciliation';

/** What the clerk typed for the visit: kept while the flow goes on, so a step back loses nothing. */
export interface VisitForm {
  hisVisitNo: string;
  scheme: DeskVisitRequest['scheme'];
  visitType: DeskVisitRequest['visitType'];
  billText: string;
}

export const EMPTY_FORM: VisitForm = { hisVisitNo: '', scheme: '310', visitType: 'outpatient', billText: '' };

/** The visit as far as it went: registered, billed, quoted (here, or by the HIS through the agent). */
export interface Priced {
  visit: Visit;
  quote: Quote;
  useAccount: boolean;
  /** `his`: the HIS registered the visit, sent its bill and pre-settled; the desk settles it. */
  from: 'desk' | 'his';
}

/** The settlement flow, one state per screen: card → visit and bill → slip preview → PIN → slip. */
export type SettleStep =
  | { name: 'card' }
  | { name: 'form'; error: Text | undefined }
  | { name: 'working'; what: Text }
  | { name: 'quote'; priced: Priced }
  | { name: 'pin'; priced: Priced; prompt: PinPrompt | undefined; entered: number; digits: string[] }
  | { name: 'settled'; priced: Priced; result: DeskSettlementView }
  | { name: 'problem'; problem: Refusal; text: Text; back: SettleStep | undefined };

/** A list fetched from the agent: not yet, its answer, or why not. */
export type Fetched<T> =
  | { state: 'loading' }
  | { state: 'ready'; value: T }
  | { state: 'failed'; problem: Refusal };

export interface DeskState extends CounterState<SettleStep> {
  tab: DeskTab;
  form: VisitForm;
  day: Fetched<DeskDayView> | undefined;
  /** The settlement the clerk is asked to confirm cancelling, and what came of the last cancel. */
  cancelling: { settlementId: string; working: boolean } | undefined;
  notice: Text | undefined;
  pending: Fetched<DeskPendingView> | undefined;
  reconciliation: Fetched<DeskReconciliationView> | undefined;
}

export const INITIAL: DeskState = {
  ...COUNTER_START,
  tab: 'settle',
  form: EMPTY_FORM,
  step: { name: 'card' },
  day: undefined,
  cancelling: undefined,
  notice: undefined,
  pending: undefined,
  reconciliation: undefined,
};
