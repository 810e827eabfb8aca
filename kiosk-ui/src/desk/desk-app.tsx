import { useState } from 'preact/hooks';
import type { AgentSocket } from '../connection.js';
import { CounterShell, type Tab } from '../counter/shell.js';
import { useFlow } from '../flows/flow.js';
import type { TerminalView } from '../protocol.js';
import { DeskController } from './controller.js';
import { DayPanel, PendingPanel, ReconciliationPanel } from './lists.js';
import { SettlePanel } from './settle-panel.js';
import type { DeskTab } from './state.js';
import { D } from './words.js';

const TABS: readonly Tab<DeskTab>[] = [
  { key: 'settle', label: D.tabSettle, fkey: 'F1' },
  { key: 'day', label: D.tabDay, fkey: 'F2' },
  { key: 'pending', label: D.tabPending, fkey: 'F3' },
  { key: 'reconciliation', label: D.tabReconciliation, fkey: 'F4' },
];

/** The hospital or pharmacy desk: settlement, the day's settlements, pending items, reconciliation. */
export function DeskApp(props: { socket: AgentSocket; terminal: TerminalView; onSwitchLanguage(): void }) {
  const [desk] = useState(() => new DeskController(props.socket));
  const state = useFlow(desk.flow);
  return (
    <CounterShell
      title={D.title}
      terminal={props.terminal}
      connection={state.connection}
      readers={state.readers}
      tabs={TABS}
      tab={state.tab}
      onTab={(tab) => desk.openTab(tab)}
      onSwitchLanguage={props.onSwitchLanguage}
    >
      {state.tab === 'settle' && <SettlePanel desk={desk} state={state} terminal={props.terminal} />}
      {state.tab === 'day' && <DayPanel desk={desk} state={state} />}
      {state.tab === 'pending' && <PendingPanel desk={desk} state={state} />}
      {state.tab === 'reconciliation' && <ReconciliationPanel desk={desk} state={state} />}
    </CounterShell>
  );
}
